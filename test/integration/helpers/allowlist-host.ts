/**
 * The allowlist tests' test host: a Python HTTP server (run in the test's network namespace)
 * serving a directory (a dumb-HTTP git repository, a file) plus a two-route npm registry
 * (`/tiny-pkg` packument, `/tiny-pkg/-/tiny-pkg-1.0.0.tgz`), and `/bytes/N` (N zero bytes,
 * streamed, for the bench); given a directory with cert.pem and key.pem (argv 4), the same on
 * HTTPS port 8443. And a raw proxy client for the bypass attempts, and a tiny wheel with its
 * PEP 503 simple index for pip.
 */
export const HOST_SERVER = String.raw`
import os, sys, socket, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
root, addr, packument = sys.argv[1], sys.argv[2], sys.argv[3]
class H(SimpleHTTPRequestHandler):
    def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
    def do_GET(self):
        if self.path == "/tiny-pkg":
            body = open(packument, "rb").read()
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.path.startswith("/bytes/"):
            n = int(self.path[7:]); self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
            chunk = b"\0" * 65536
            while n > 0:
                k = min(n, len(chunk)); self.wfile.write(chunk[:k]); n -= k
            return
        return super().do_GET()
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    address_family = socket.AF_INET
srv = S((addr, 8080), H)
if len(sys.argv) > 4:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(sys.argv[4], "cert.pem"), os.path.join(sys.argv[4], "key.pem"))
    tls = S((addr, 8443), H)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
print("ready", flush=True)
srv.serve_forever()
`;

/** Inside the session: send the bytes given in hex to host:port, print the first line (or SOCKS reply bytes) back. */
export const RAW_CLIENT = String.raw`
import socket, sys
host, port, payload = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
try:
    s = socket.create_connection((host, port), timeout=5)
except OSError as e:
    print("noconnect", e.errno); sys.exit(3)
s.sendall(payload)
data = b""
try:
    while len(data) < 4096:
        c = s.recv(4096)
        if not c: break
        data += c
        if payload[:1] == b"\x05" and len(data) >= 12: break
        if b"\r\n\r\n" in data and not data.startswith(b"HTTP/1.1 200"): continue
        if data.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" in data: break
except socket.timeout:
    pass
if payload[:1] == b"\x05": print("socks", data[:12].hex())
else: print(data.decode("latin1"))
`;

/**
 * Run as root outside any session: writes into argv 1 a one-module wheel
 * (`files/tinywheel-1.0.0-py3-none-any.whl`: a zip with the module, METADATA, WHEEL and a RECORD
 * of sha256 digests) and a PEP 503 simple index for it (`simple/`, `simple/tinywheel/`, the
 * link carrying the wheel's sha256, which pip checks).
 */
export const WHEEL_NAME = 'tinywheel';
export const WHEEL_VALUE = 'installed through the proxy';
export const WHEEL_INDEX = String.raw`
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
name, version = "${WHEEL_NAME}", "1.0.0"
dist = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": b"VALUE = '${WHEEL_VALUE}'\n",
    f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
    f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: corral-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(b): return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
files[f"{dist}/RECORD"] = ("".join(f"{p},{digest(b)},{len(b)}\n" for p, b in files.items()) + f"{dist}/RECORD,,\n").encode()
whl = f"{name}-{version}-py3-none-any.whl"
os.makedirs(os.path.join(out, "files"), exist_ok=True)
os.makedirs(os.path.join(out, "simple", name), exist_ok=True)
path = os.path.join(out, "files", whl)
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for p, b in files.items(): z.writestr(p, b)
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
open(os.path.join(out, "simple", "index.html"), "w").write(f'<!DOCTYPE html><html><body><a href="{name}/">{name}</a></body></html>\n')
open(os.path.join(out, "simple", name, "index.html"), "w").write(f'<!DOCTYPE html><html><body><a href="../../files/{whl}#sha256={sha}">{whl}</a></body></html>\n')
`;
