/**
 * The attempts of `corral verify`: each one a real action performed inside a real session, and a
 * check of the real outcome made outside it, on the host, by the user's own process — never from
 * what the sandboxed command prints about itself where the host can look instead (a file that
 * did or did not appear, a listener that did or did not see a connection, a process that is or
 * is not alive). Each attempt says what it expects and whether the sandbox held.
 *
 * Runs in the unprivileged client (`corral verify`), as the real user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { Session } from '../session/types.js';

export type Outcome = 'held' | 'ESCAPE' | 'skipped';

export interface AttemptResult {
  id: string;
  attempt: string;
  expected: string;
  /** What happened, in a few words (exit status, first line of stderr, what the host saw). */
  result: string;
  outcome: Outcome;
}

export interface VerifyContext {
  session: Session;
  workspace: string;
  /** A fresh directory outside the workspace, mode 0777: only the sandbox stops a write there. */
  outside: string;
  /** A 0644 file holding `secretToken`, given to the session as a read-deny path. */
  denyReadFile: string;
  secretToken: string;
  /** Name and value of a secret-looking variable in the session's environment. */
  secretEnv: { name: string; value: string };
  /** A Node binary the identity can run (the root-owned runner copy's). */
  node: string;
  /**
   * Protected names absent from the workspace before the session opened (reserved while it
   * lives); null when the workspace was not named exactly, so absence could not be checked first.
   */
  missingProtected: string[] | null;
  /** Runs after the session closed (process checks). */
  afterClose: (() => Promise<AttemptResult>)[];
}

export interface Attempt {
  id: string;
  attempt: string;
  expected: string;
  run(ctx: VerifyContext): Promise<AttemptResult | null>;
}

const token = () => randomBytes(6).toString('hex');

function firstLine(b: Buffer | string): string {
  return String(b).trim().split('\n')[0]?.slice(0, 120) ?? '';
}

function describeExit(r: { status: number; stderr: Buffer }): string {
  const err = firstLine(r.stderr);
  return `exit ${r.status}${err === '' ? '' : `: ${err}`}`;
}

function result(a: Pick<Attempt, 'id' | 'attempt' | 'expected'>, held: boolean, what: string): AttemptResult {
  return { id: a.id, attempt: a.attempt, expected: a.expected, result: what, outcome: held ? 'held' : 'ESCAPE' };
}

function skipped(a: Pick<Attempt, 'id' | 'attempt' | 'expected'>, why: string): AttemptResult {
  return { id: a.id, attempt: a.attempt, expected: a.expected, result: why, outcome: 'skipped' };
}

/** A write to `target` from inside; held when the file did not appear on the host. */
async function writeAttempt(a: Pick<Attempt, 'id' | 'attempt' | 'expected'>, ctx: VerifyContext, target: string): Promise<AttemptResult> {
  const r = await ctx.session.exec(['/bin/sh', '-c', 'printf corral-verify > "$1"', 'sh', target]);
  const landed = existsSync(target);
  if (landed) rmSync(target, { force: true });
  return result(a, !landed, landed ? `the file was written (${target})` : describeExit(r));
}

const writeOutside: Attempt = {
  id: 'write-outside',
  attempt: 'write a file outside the workspace (a 0777 directory: only the sandbox can stop it)',
  expected: 'refused',
  run: (ctx) => writeAttempt(writeOutside, ctx, path.join(ctx.outside, `w-${token()}`)),
};

const writeGit: Attempt = {
  id: 'write-git',
  attempt: 'write a hook inside .git (hooks and config run code as you)',
  expected: 'refused',
  // .git/hooks: read-only under both git settings (under `git: "commit"` the rest of .git takes
  // commits; runner/linux/git-commit.ts), and reserved when it is missing.
  run: (ctx) => writeAttempt(writeGit, ctx, path.join(ctx.workspace, '.git', 'hooks', `corral-verify-${token()}`)),
};

const writeMissingProtected: Attempt = {
  id: 'write-missing-protected',
  attempt: 'create a protected name that does not exist yet',
  expected: 'refused',
  run: async (ctx) => {
    if (ctx.missingProtected === null) return skipped(writeMissingProtected, 'name the workspace root with --workspace to include this attempt');
    const name = ctx.missingProtected[0];
    if (name === undefined) return skipped(writeMissingProtected, 'every protected name already exists in this workspace');
    const target = path.join(ctx.workspace, name);
    const r = await ctx.session.exec(['/bin/sh', '-c', 'printf corral-verify > "$1" || mkdir "$1/x"', 'sh', target]);
    // While the session lives, a placeholder of the right kind stands there: empty and
    // root-owned. Anything with content, or anything inside it, is the sandbox's write.
    let landed = false;
    try {
      const content = readFileSync(target);
      landed = content.length > 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') landed = readdirSync(target).length > 0;
    }
    return result(writeMissingProtected, !landed, landed ? `${name} was written` : `${name}: ${describeExit(r)}`);
  },
};

const readDeny: Attempt = {
  id: 'read-deny',
  attempt: 'read a read-deny path (a 0644 file anyone may read)',
  expected: 'refused',
  run: async (ctx) => {
    const r = await ctx.session.exec(['/bin/cat', '--', ctx.denyReadFile]);
    const leaked = r.stdout.toString().includes(ctx.secretToken);
    return result(readDeny, !leaked, leaked ? 'the content was read' : r.status === 0 ? 'read nothing (masked)' : describeExit(r));
  },
};

/** Addresses of this host to try: loopback and each non-internal IPv4 address. */
function hostAddresses(): string[] {
  const out = ['127.0.0.1'];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return [...new Set(out)];
}

const TCP_SCRIPT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: 3000 });
s.on('connect', () => { s.end('corral-verify'); console.log('connected'); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => { console.log(e.code); });
`;

const UDP_SCRIPT = `
const dgram = require('node:dgram');
const [host, port, tok] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.send(Buffer.from(tok), Number(port), host, (e) => { console.log(e ? e.code : 'sent'); s.close(); });
`;

const DNS_SCRIPT = `
require('node:dns').resolve4(process.argv[1], (e, a) => console.log(e ? e.code : 'resolved ' + a.join(',')));
`;

function listenTcp(): Promise<{ server: Server; port: number; seen: string[] }> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const server = createServer((sock) => {
      seen.push(sock.remoteAddress ?? '?');
      sock.destroy();
    });
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr !== null ? addr.port : 0, seen });
    });
  });
}

function listenUdp(): Promise<{ socket: UdpSocket; port: number; seen: string[] }> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const socket = createSocket('udp4');
    socket.on('message', (msg) => seen.push(msg.toString()));
    socket.once('error', reject);
    socket.bind(0, '0.0.0.0', () => resolve({ socket, port: socket.address().port, seen }));
  });
}

const offlineOnly = (ctx: VerifyContext) => ctx.session.network !== 'offline';

/** Run `node -e SCRIPT ARGS…` in the session once per host address; what each printed, joined. */
async function fromEachHostAddress(ctx: VerifyContext, scriptAndArgs: (host: string) => string[]): Promise<string> {
  const tried: string[] = [];
  for (const host of hostAddresses()) {
    const r = await ctx.session.exec([ctx.node, '-e', ...scriptAndArgs(host)]);
    tried.push(`${host}: ${firstLine(r.stdout) || describeExit(r)}`);
  }
  return tried.join('; ');
}

const tcp: Attempt = {
  id: 'connect-tcp',
  attempt: 'TCP connection to a listener on this host (loopback and each host address)',
  expected: 'refused',
  run: async (ctx) => {
    if (offlineOnly(ctx)) return skipped(tcp, `the session is ${ctx.session.network} by policy`);
    const l = await listenTcp();
    try {
      const tried = await fromEachHostAddress(ctx, (host) => [TCP_SCRIPT, host, String(l.port)]);
      return result(tcp, l.seen.length === 0, l.seen.length === 0 ? tried : `the listener accepted ${l.seen.length} connection(s)`);
    } finally {
      l.server.close();
    }
  },
};

const udp: Attempt = {
  id: 'connect-udp',
  attempt: 'UDP datagram to a listener on this host',
  expected: 'not delivered',
  run: async (ctx) => {
    if (offlineOnly(ctx)) return skipped(udp, `the session is ${ctx.session.network} by policy`);
    const l = await listenUdp();
    const tok = token();
    try {
      const tried = await fromEachHostAddress(ctx, (host) => [UDP_SCRIPT, host, String(l.port), tok]);
      await new Promise((r) => setTimeout(r, 300));
      const got = l.seen.filter((m) => m === tok).length;
      return result(udp, got === 0, got === 0 ? tried : `the listener received ${got} datagram(s)`);
    } finally {
      l.socket.close();
    }
  },
};

const dnsAttempt: Attempt = {
  id: 'dns',
  attempt: 'resolve a name through DNS',
  expected: 'fails',
  run: async (ctx) => {
    if (offlineOnly(ctx)) return skipped(dnsAttempt, `the session is ${ctx.session.network} by policy`);
    const name = 'example.com';
    const r = await ctx.session.exec([ctx.node, '-e', DNS_SCRIPT, name]);
    const out = firstLine(r.stdout);
    const resolved = out.startsWith('resolved');
    return result(dnsAttempt, !resolved, out || describeExit(r));
  },
};

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

const signalAttempt: Attempt = {
  id: 'signal',
  attempt: 'send SIGTERM to a process of yours outside the session',
  expected: 'refused',
  run: async (ctx) => {
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => victim.once('spawn', r));
      const r = await ctx.session.exec(['/bin/sh', '-c', 'kill -TERM "$1"', 'sh', String(victim.pid)]);
      await new Promise((res) => setTimeout(res, 200));
      const held = alive(victim);
      return result(signalAttempt, held, held ? describeExit(r) : 'your process was killed');
    } finally {
      victim.kill('SIGKILL');
    }
  },
};

/** Processes whose command line contains `needle` (as /proc shows it to this user). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(needle)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

const daemon: Attempt = {
  id: 'daemon',
  attempt: 'leave a setsid daemon behind when the session closes',
  expected: 'killed at close',
  run: async (ctx) => {
    // A sleep with a unique duration (GNU sleep takes fractions) is its own marker on the host.
    const marker = `3600.${String(randomBytes(3).readUIntBE(0, 3)).padStart(8, '0')}`;
    const r = await ctx.session.exec(['/bin/sh', '-c', 'setsid sleep "$1" </dev/null >/dev/null 2>&1 & echo started', 'sh', marker]);
    const startedInside = r.stdout.toString().includes('started');
    ctx.afterClose.push(async () => {
      let left: number[] = [];
      for (let i = 0; i < 30; i++) {
        left = processesMatching(`sleep ${marker}`);
        if (left.length === 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      if (!startedInside) return skipped(daemon, `the daemon did not start: ${describeExit(r)}`);
      return result(daemon, left.length === 0, left.length === 0 ? 'gone after close' : `still running after close (pid ${left.join(', ')})`);
    });
    return null;
  },
};

const secretEnv: Attempt = {
  id: 'secret-env',
  attempt: 'see a secret-looking variable of yours (…_TOKEN) in the session',
  expected: 'not passed',
  run: async (ctx) => {
    const r = await ctx.session.exec(['/usr/bin/env']);
    const leaked = r.stdout.toString().includes(ctx.secretEnv.value);
    return result(secretEnv, !leaked, leaked ? `${ctx.secretEnv.name} reached the command` : `${ctx.secretEnv.name} absent`);
  },
};

const setuid: Attempt = {
  id: 'setuid',
  attempt: 'raise privileges with a setuid binary (sudo -n)',
  expected: 'refused',
  run: async (ctx) => {
    const sudo = ['/usr/bin/sudo', '/bin/sudo'].find((p) => existsSync(p));
    if (sudo === undefined) return skipped(setuid, 'sudo is not installed');
    const r = await ctx.session.exec([sudo, '-n', '/usr/bin/id', '-u']);
    const root = r.stdout.toString().trim() === '0';
    return result(setuid, !root, root ? 'the command ran as root' : describeExit(r));
  },
};

/**
 * The kernel's own report of a refusal (Linux: Landlock's audit record) must name it in the
 * command's violations. The attempt creates a file in /usr, which every session sees and which
 * Landlock refuses before file modes are checked, so the kernel writes a record for it. The
 * other attempts are refused by mechanisms the kernel does not report — the view (a path that
 * is not there: the write-outside target lives in a hidden /tmp), read-only binds (EROFS),
 * masks, file modes, no_new_privs, the environment filter — but for the network's refusals,
 * which connectionReport checks.
 */
const violationReport: Attempt = {
  id: 'violation-report',
  attempt: "create a file in /usr: the refusal is named in the command's violation report",
  expected: 'reported',
  run: async (ctx) => {
    const source = ctx.session.violationSources.landlock;
    if (source === undefined) return skipped(violationReport, 'this runner reads no violation reports from the OS');
    if (source !== 'on') return skipped(violationReport, `no source: ${source}`);
    const target = `/usr/corral-verify-${token()}`;
    const r = await ctx.session.exec(['/bin/sh', '-c', 'printf corral-verify > "$1"', 'sh', target]);
    if (existsSync(target)) return result(violationReport, false, `the file was written (${target})`);
    const named = r.violations.find((v) => v.kind === 'write' && (v.target === '/usr' || v.target === target));
    return result(violationReport, named !== undefined, named === undefined ? `refused (${describeExit(r)}) but not reported` : `reported: ${named.operation} ${named.target} (${named.rule})`);
  },
};

/**
 * The kernel's own report of a refused connection (Linux: the packet the offline session's
 * namespace refused, read from nflog by the runner) must name it: a TCP connection to a listener
 * on this host's first non-loopback address, which the listener must not see either.
 */
const connectionReport: Attempt = {
  id: 'connection-report',
  attempt: "TCP connection to a host address: the refusal is named in the command's violation report",
  expected: 'reported',
  run: async (ctx) => {
    if (offlineOnly(ctx)) return skipped(connectionReport, `the session is ${ctx.session.network} by policy`);
    const source = ctx.session.violationSources.nflog;
    if (source === undefined) return skipped(connectionReport, 'this runner reads no refused packets from the OS');
    if (source !== 'on') return skipped(connectionReport, `no source: ${source}`);
    const host = hostAddresses().find((a) => a !== '127.0.0.1');
    if (host === undefined) return skipped(connectionReport, 'this host has no address but loopback');
    const l = await listenTcp();
    try {
      const r = await ctx.session.exec([ctx.node, '-e', TCP_SCRIPT, host, String(l.port)]);
      if (l.seen.length > 0) return result(connectionReport, false, `the listener accepted ${l.seen.length} connection(s)`);
      const target = `${host}:${l.port}`;
      const named = r.violations.find((v) => v.kind === 'connect' && v.target === target);
      return result(connectionReport, named !== undefined, named === undefined ? `refused (${firstLine(r.stdout) || describeExit(r)}) but not reported` : `reported: ${named.operation} ${named.target} (${named.rule})`);
    } finally {
      l.server.close();
    }
  },
};

export const ATTEMPTS: readonly Attempt[] = [
  writeOutside,
  writeGit,
  writeMissingProtected,
  readDeny,
  tcp,
  udp,
  dnsAttempt,
  signalAttempt,
  daemon,
  secretEnv,
  setuid,
  violationReport,
  connectionReport,
];
