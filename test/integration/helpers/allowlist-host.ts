/**
 * The allowlist tests' test host: a Python HTTP server (run in the test's network namespace)
 * serving a directory (a dumb-HTTP git repository, a file) plus a two-route npm registry
 * (`/tiny-pkg` packument, `/tiny-pkg/-/tiny-pkg-1.0.0.tgz`), and `/bytes/N` (N zero bytes,
 * streamed, for the bench). And a raw proxy client for the bypass attempts.
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
