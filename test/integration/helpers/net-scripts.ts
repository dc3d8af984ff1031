/**
 * Python scripts for the network tests (python3 is on every Debian; the sandbox reads it
 * like any program). Passed with `python3 -c`, arguments as argv — never spliced into text.
 *
 * SERVER (runs inside the test host's network namespace): on each address given, an HTTP server
 * on TCP 8080 answering `corral-test-host`, a UDP echo on 9999 and a DNS responder on 53 that
 * answers every A query with the first address. Prints `ready` once everything is bound.
 *
 * PROBE (runs in the sandbox): `tcp HOST PORT`, `udp HOST PORT`, `dns SERVER PORT NAME`,
 * `local`. Prints `ok …` and exits 0 on success; prints `fail …` and exits 1 when the network
 * refuses — so a crash (exit 2, a traceback) is never mistaken for a block.
 */

export const HTTP_PORT = 8080;
export const UDP_PORT = 9999;
export const DNS_PORT = 53;
export const HTTP_BODY = 'corral-test-host';

export const SERVER = String.raw`
import socket, sys, threading, struct
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"corral-test-host"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

class H6(HTTPServer):
    address_family = socket.AF_INET6

def family(addr): return socket.AF_INET6 if ":" in addr else socket.AF_INET

def udp_echo(addr):
    s = socket.socket(family(addr), socket.SOCK_DGRAM); s.bind((addr, 9999))
    def loop():
        while True:
            data, peer = s.recvfrom(2048); s.sendto(data, peer)
    threading.Thread(target=loop, daemon=True).start()

def dns(addr, answer):
    s = socket.socket(family(addr), socket.SOCK_DGRAM); s.bind((addr, 53))
    def loop():
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 12: continue
            head = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00"
            end = 12
            while q[end] != 0: end += q[end] + 1
            question = q[12:end + 5]
            rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(answer)
            s.sendto(head + question + rr, peer)
    threading.Thread(target=loop, daemon=True).start()

addrs = sys.argv[1:]
for a in addrs:
    srv = (H6 if ":" in a else HTTPServer)((a, 8080), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    udp_echo(a)
    dns(a, addrs[0])
print("ready", flush=True)
threading.Event().wait()
`;

export const PROBE = String.raw`
import socket, sys, struct, threading, os
mode = sys.argv[1]
def family(addr): return socket.AF_INET6 if ":" in addr else socket.AF_INET
def fail(why):
    print("fail", mode, why); sys.exit(1)
try:
    if mode == "tcp":
        host, port = sys.argv[2], int(sys.argv[3])
        s = socket.socket(family(host), socket.SOCK_STREAM); s.settimeout(4)
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\nHost: t\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        if b"corral-test-host" not in data: fail("unexpected answer %r" % data[:80])
        print("ok tcp")
    elif mode == "udp":
        host, port = sys.argv[2], int(sys.argv[3])
        s = socket.socket(family(host), socket.SOCK_DGRAM); s.settimeout(3)
        token = os.urandom(8).hex().encode()
        s.sendto(token, (host, port))
        data, _ = s.recvfrom(2048)
        if data != token: fail("echo differs")
        print("ok udp")
    elif mode == "dns":
        server, port, name = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        s = socket.socket(family(server), socket.SOCK_DGRAM); s.settimeout(3)
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        for label in name.split("."): q += bytes([len(label)]) + label.encode()
        q += b"\x00\x00\x01\x00\x01"
        s.sendto(q, (server, port))
        r, _ = s.recvfrom(512)
        print("ok dns", socket.inet_ntoa(r[-4:]))
    elif mode == "local":
        srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
        port = srv.getsockname()[1]
        def serve():
            c, _ = srv.accept(); c.sendall(b"local-hello"); c.close()
        threading.Thread(target=serve, daemon=True).start()
        cl = socket.create_connection(("127.0.0.1", port), timeout=4)
        data = cl.recv(100)
        if data != b"local-hello": fail("unexpected %r" % data)
        print("ok local")
    else:
        print("usage"); sys.exit(2)
except (OSError, socket.timeout) as e:
    fail("%s: %s" % (type(e).__name__, e))
`;
