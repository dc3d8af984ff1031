/**
 * Allowlist network cost (issue 15 item 6): the same downloads and connections from a test host,
 * once from an online session (direct) and once from an allowlist session (through the filtering
 * proxy), in one run on this machine.
 *
 * - Throughput: a 100 MiB download with curl, `-p` in the allowlist session (a CONNECT tunnel,
 *   the path HTTPS takes) and also plain-HTTP forwarding; median of 5 (after one warm-up), the
 *   two sessions interleaved so that the machine's load hits both alike.
 * - Per connection: a Python client inside the session opens CONNECTIONS fresh connections one
 *   after another and fetches a tiny response on each (direct: TCP connect + GET; through the
 *   proxy: TCP connect to 127.0.0.1:3128 + CONNECT + 200 + GET); the median of each run, median
 *   of 5 runs. The difference is what the proxy adds to a connection (the CONNECT round trip,
 *   the decision, the name lookup, the dial, the bridge into the session).
 *
 * The test host is a network namespace (10.234.R.0/30, a veth pair) with its own server process
 * (Python, sendfile from a 100 MiB file), so the server never shares the proxy's event loop or
 * the runner's. Its name resolves through an /etc/hosts line added here. Everything created
 * (namespace, veth, hosts line, files) is removed in `finally`, also when a step fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openSession } from '../orchestrator/index.js';
import type { Session } from '../orchestrator/session/types.js';
import type { Row } from './per-command.js';
import { findMedian, type Target } from './report.js';
import { summarize, type Timing } from './stats.js';

export const ALLOWLIST_SECTION = 'Allowlist network: test host in a namespace, online session (direct) vs allowlist session (proxy)';
export const AROW = {
  directDownload: '100 MiB download, online (direct)',
  connectDownload: '100 MiB download, allowlist (CONNECT tunnel)',
  forwardDownload: '100 MiB download, allowlist (HTTP forwarding)',
  directConnection: 'one connection + tiny GET, online (direct)',
  proxyConnection: 'one connection + tiny GET, allowlist (CONNECT)',
  proxyCpu: 'proxy process CPU (user+sys) per 100 MiB, CONNECT',
} as const;

const PYTHON = '/usr/bin/python3';
const HOSTS_FILE = '/etc/hosts';
const HOST_NAME = 'bench-host.corral.test';
const PORT = 8080;
const DOWNLOAD_BYTES = 100 * 1024 * 1024;
const RUNS = 5;
const CONNECTIONS = 100;

/** The test host: GET /big → the 100 MiB file (sendfile), anything else → 2 bytes; HTTP/1.0, one request a connection. */
const SERVER = String.raw`
import os, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
big, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(big)
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/big":
            self.send_response(200); self.send_header("Content-Length", str(size)); self.end_headers()
            with open(big, "rb") as f: self.connection.sendfile(f)
        else:
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    address_family = socket.AF_INET
    daemon_threads = True
srv = S((addr, port), H)
print("ready", flush=True)
srv.serve_forever()
`;

/**
 * Inside the session: N connections one after another; prints the median and p95 in ms. With a
 * proxy (argv 4 = "proxy"), each connection is a CONNECT to argv 1:argv 2 through 127.0.0.1:3128.
 */
const CONNECTION_CLIENT = String.raw`
import socket, sys, time
host, port, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def once():
    if mode == "proxy":
        s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
        s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = s.recv(4096)
            if not c: raise SystemExit("proxy closed")
            head += c
        if not head.startswith(b"HTTP/1.1 200"): raise SystemExit("proxy said " + head.decode("latin1"))
    else:
        s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /small HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        c = s.recv(4096)
        if not c: break
        data += c
    s.close()
    if not data.endswith(b"ok"): raise SystemExit("bad response " + repr(data[:80]))
samples = []
for _ in range(n):
    t0 = time.perf_counter(); once(); samples.append((time.perf_counter() - t0) * 1000)
samples.sort()
print(samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.95))])
`;

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

interface TestHost {
  name: string;
  address: string;
  close(): void;
}

async function startTestHost(dir: string): Promise<TestHost> {
  const tag = randomBytes(2).toString('hex');
  const ns = `cbn${tag}`;
  const vethHost = `cbn${tag}h`;
  const r = randomInt(1, 250);
  const hostV4 = `10.234.${r}.1`;
  const peerV4 = `10.234.${r}.2`;
  const marker = `# corral-bench-allowlist ${tag}`;
  let server: ChildProcess | undefined;
  let nsCreated = false;
  let hostsAdded = false;
  const close = () => {
    server?.kill('SIGKILL');
    if (hostsAdded) {
      const lines = readFileSync(HOSTS_FILE, 'utf8').split('\n').filter((l) => !l.endsWith(marker));
      writeFileSync(HOSTS_FILE, lines.join('\n'));
    }
    if (nsCreated) {
      try {
        ip(['netns', 'del', ns]);
      } catch (err) {
        process.stderr.write(`bench: cannot delete netns ${ns}: ${(err as Error).message}\n`);
      }
    }
    try {
      ip(['link', 'del', vethHost]);
    } catch {
      // gone with the namespace
    }
  };
  try {
    const big = path.join(dir, 'big');
    execFileSync('truncate', ['-s', String(DOWNLOAD_BYTES), big]);
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    ip(['netns', 'add', ns]);
    nsCreated = true;
    ip(['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', `cbn${tag}n`]);
    ip(['link', 'set', `cbn${tag}n`, 'netns', ns]);
    ip(['addr', 'add', `${hostV4}/30`, 'dev', vethHost]);
    ip(['link', 'set', vethHost, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${peerV4}/30`, 'dev', `cbn${tag}n`]);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', `cbn${tag}n`, 'up']);
    const child = spawn('ip', ['netns', 'exec', ns, PYTHON, '-c', SERVER, big, peerV4, String(PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    server = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : reject(new Error(`test host said ${d.toString()}`))));
      child.once('exit', (code) => reject(new Error(`test host server exited ${code}`)));
    });
    const hosts = readFileSync(HOSTS_FILE, 'utf8');
    writeFileSync(HOSTS_FILE, `${hosts.endsWith('\n') ? hosts : `${hosts}\n`}${peerV4} ${HOST_NAME} ${marker}\n`);
    hostsAdded = true;
    return { name: HOST_NAME, address: peerV4, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** The allowlist session's proxy: the one proxy-main.js process that appeared while it opened. */
function proxyPids(): Set<number> {
  try {
    return new Set(execFileSync('pgrep', ['-f', 'dist/runner/linux/proxy-main.js'], { encoding: 'utf8' }).trim().split('\n').map(Number));
  } catch {
    return new Set(); // pgrep exits 1 when there is none
  }
}

/** utime + stime of a process in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function execOk(session: Session, argv: string[]): Promise<string> {
  const r = await session.exec(argv, { timeoutSec: 300 });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')}… exited ${r.status}: ${r.stderr.toString().trim().slice(-300)}`);
  return r.stdout.toString();
}

/** curl's own transfer time for the download, in ms (start-up of curl and of the session command excluded). */
async function download(session: Session, url: string, extra: string[]): Promise<number> {
  const out = await execOk(session, ['curl', '-sS', '--fail', '-o', '/dev/null', '-w', '%{size_download} %{time_total} %{time_starttransfer}', ...extra, url]);
  const [size, total] = out.trim().split(' ').map(Number) as [number, number];
  if (size !== DOWNLOAD_BYTES) throw new Error(`downloaded ${size} bytes, expected ${DOWNLOAD_BYTES}`);
  return total * 1000;
}

async function connections(session: Session, mode: 'direct' | 'proxy'): Promise<number> {
  const out = await execOk(session, [PYTHON, '-c', CONNECTION_CLIENT, HOST_NAME, String(PORT), String(CONNECTIONS), mode]);
  return Number(out.trim().split(' ')[0]);
}

const MIB = 1024 * 1024;
const mibPerSec = (ms: number) => DOWNLOAD_BYTES / MIB / (ms / 1000);

/** Rows for the allowlist section; every row says why when it has no figure. */
export async function benchAllowlist(ws: string, log: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync('/tmp/corral-bench-allowlist-');
  let host: TestHost | undefined;
  let online: Session | undefined;
  let allowlist: Session | undefined;
  const samples: Record<keyof typeof AROW, number[]> = { directDownload: [], connectDownload: [], forwardDownload: [], directConnection: [], proxyConnection: [], proxyCpu: [] };
  let proxyPid: number | null = null;
  try {
    host = await startTestHost(dir);
    online = await openSession({ workspace: ws, network: 'online', audit: false });
    const before = proxyPids();
    allowlist = await openSession({ workspace: ws, allowHosts: [`${host.name}:${PORT}`], audit: false });
    const fresh = [...proxyPids()].filter((pid) => !before.has(pid));
    proxyPid = fresh.length === 1 ? fresh[0]! : null;
    if (proxyPid === null) log(`allowlist: cannot tell the session's proxy process (${fresh.length} new): no CPU row`);
    const url = `http://${host.name}:${PORT}/big`;
    for (let i = 0; i <= RUNS; i++) {
      const warm = i === 0;
      log(`allowlist: ${warm ? 'warm-up' : `run ${i}/${RUNS}`}…`);
      const round: [keyof typeof AROW, () => Promise<number>][] = [
        ['directDownload', () => download(online!, url, [])],
        [
          'connectDownload',
          async () => {
            const cpu0 = proxyPid === null ? 0 : cpuMs(proxyPid);
            const ms = await download(allowlist!, url, ['-p']);
            if (proxyPid !== null && !warm) samples.proxyCpu.push(cpuMs(proxyPid) - cpu0);
            return ms;
          },
        ],
        ['forwardDownload', () => download(allowlist!, url, [])],
        ['directConnection', () => connections(online!, 'direct')],
        ['proxyConnection', () => connections(allowlist!, 'proxy')],
      ];
      for (const [key, fn] of round) {
        const ms = await fn();
        if (!warm) samples[key].push(ms);
      }
    }
  } catch (err) {
    const why = `failed: ${(err as Error).message}`;
    return Object.values(AROW).map((name) => ({ section: ALLOWLIST_SECTION, name, timing: null, note: why }));
  } finally {
    await online?.close().catch(() => {});
    await allowlist?.close().catch(() => {});
    host?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (key: keyof typeof AROW, note: (t: Timing) => string): Row => {
    const timing = summarize(samples[key]);
    return { section: ALLOWLIST_SECTION, name: AROW[key], timing, note: note(timing) };
  };
  const rate = (t: Timing) => `${mibPerSec(t.median).toFixed(0)} MiB/s (curl time_total)`;
  const each = () => `median of ${RUNS} runs' medians, ${CONNECTIONS} connections each`;
  return [
    row('directDownload', rate),
    row('connectDownload', rate),
    row('forwardDownload', rate),
    // For these rows p95 is the p95 of the runs' medians.
    row('directConnection', each),
    row('proxyConnection', each),
    samples.proxyCpu.length === 0
      ? { section: ALLOWLIST_SECTION, name: AROW.proxyCpu, timing: null, note: 'the proxy process was not found' }
      : row('proxyCpu', () => 'CPU ms, not wall time (10 ms ticks): the copy the proxy adds, independent of load'),
  ];
}

/** The issue's two targets: ≥ 0.9× online throughput (CONNECT), ≤ 2 ms added per connection. */
export function allowlistTargets(rows: readonly Row[]): Target[] {
  const direct = findMedian(rows, ALLOWLIST_SECTION, AROW.directDownload);
  const tunnel = findMedian(rows, ALLOWLIST_SECTION, AROW.connectDownload);
  const forward = findMedian(rows, ALLOWLIST_SECTION, AROW.forwardDownload);
  const throughput = (name: string, via: number | null, detail: string): Target => {
    if (direct === null || via === null || via === 0) return { name, goal: '≥ 0.9×', value: null, pass: null, detail: `${detail} (a figure is missing)` };
    const value = direct / via;
    return { name, goal: '≥ 0.9×', value, pass: value >= 0.9, detail };
  };
  const a = findMedian(rows, ALLOWLIST_SECTION, AROW.proxyConnection);
  const b = findMedian(rows, ALLOWLIST_SECTION, AROW.directConnection);
  const added = a === null || b === null ? null : a - b;
  return [
    throughput('allowlist throughput vs online (CONNECT)', tunnel, 'median download time online / through the CONNECT tunnel'),
    throughput('allowlist throughput vs online (HTTP forward)', forward, 'median download time online / through plain-HTTP forwarding'),
    {
      name: 'allowlist latency added per connection',
      goal: '≤ 2 ms',
      value: added,
      pass: added === null ? null : added <= 2,
      detail: added === null ? 'a figure is missing' : 'median ms per connection through the proxy − direct',
    },
  ];
}
