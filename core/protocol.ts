/**
 * The runner protocol (DESIGN.md §Runner protocol): frames on the runner's stdio, each a
 * 4-byte little-endian length then UTF-8 JSON, 8 MiB per frame at most. Binary data is
 * base64. The first frame to the runner is `open` (the session request); the runner
 * answers `hello` once it is confined, or `error` and exits.
 *
 * Shared by every platform and by the orchestrator; no OS calls here.
 */

import type { GitAccess, Loopback, Mode, Network, NetworkAllowlist } from './vocabulary.js';

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
const HEADER_BYTES = 4;

export type { Loopback, Mode, Network } from './vocabulary.js';

/** What a session is opened for. The runner treats every field as hostile input. */
export interface SessionRequest {
  version: number;
  /** The real user's account name; the runner checks it against SUDO_UID / its own uid. */
  realUser: string;
  network: Network;
  mode: Mode;
  /** Canonical absolute path of the workspace this session may write. */
  workspace: string;
  writableRoots: string[];
  /**
   * Paths in hidden places (the real user's home) bound back read-only (Linux). Optional: a
   * request without it reads none of them.
   */
  readRoots?: string[];
  /** Names (matched in each writable root) or absolute paths kept read-only. */
  protected: string[];
  denyRead: string[];
  loopback: Loopback;
  /**
   * Allowlist network (network is then `offline`): the session's only way out is the filtering
   * proxy, which admits these host rules (core/hosts.ts; deny wins). Absent: no proxy.
   */
  allowlist?: NetworkAllowlist;
  /**
   * Ports of the session published on the host (Linux): the runner listens on the host's
   * 127.0.0.1:PORT and [::1]:PORT and forwards each connection to the port inside the session's
   * own network namespace. Absent or empty: none.
   */
  publish?: number[];
  limits: { timeoutSec: number; maxOutputBytes: number; pids: number; memoryBytes?: number; homeBytes?: number };
  /**
   * The client's resolved env policy, so that allowances of an unlocked user config still pass
   * the runner's own filter of every spawn (core/policy/env.ts floorEnvironment). Optional.
   */
  env?: { allow: string[]; set: Record<string, string> };
  /**
   * Policy `git`: `commit` lets the session write the top-level `.git` of its writable roots
   * except what makes git run code (runner/linux/git-commit.ts). Absent: `read`.
   */
  git?: GitAccess;
  /**
   * The real user's git identity (`user.name`, `user.email` of their global git config, read by
   * the client): set as GIT_AUTHOR_* and GIT_COMMITTER_* in every command's environment. Data
   * only — one line each, nothing else from that file. Absent: none.
   */
  gitIdentity?: { name?: string; email?: string };
  /** The client's digest of what it resolved; the runner answers with its own in `hello`. */
  policyDigest: string;
  /** Windows: capability SIDs of the workspace grants, as S-1-… strings. */
  capabilitySids?: string[];
  /** Windows: false runs commands on the runner's desktop instead of a private one (policy `windows.privateDesktop`). */
  windowsPrivateDesktop?: boolean;
}

export interface SpawnRequest {
  id: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  stdin: 'pipe' | null;
  /**
   * A pseudo-terminal for the command (runners whose hello says `pty: true`): its stdin, stdout
   * and stderr are the pty, the command is the session leader with the pty as its controlling
   * terminal, output comes as `stdout` frames only, and `stdin` frames are typed into it (the
   * line discipline turns ^C, ^Z, ^\ into signals of its foreground process group). The size in
   * character cells, each 1..MAX_PTY_CELLS. Absent: pipes.
   */
  pty?: PtySize;
  /**
   * Kill what the command left running (its cgroup) when it ends, before its exit is reported:
   * a kept session (orchestrator/session-host) serves each `corral run` as a session of its own
   * would, where nothing a command started outlived it. Absent: leftovers live until the session
   * closes (the library's long sessions).
   */
  reap?: boolean;
}

/** A terminal's size in character cells. */
export interface PtySize {
  cols: number;
  rows: number;
}

/**
 * Largest pty dimension a runner accepts. The size is the client's choice (hostile input to the
 * runner's root side in principle, and read by every full-screen program in the session, which
 * allocates a screen of cols × rows cells): bounded well above any real screen, below the
 * kernel's 16-bit field.
 */
export const MAX_PTY_CELLS = 10_000;

/** Whether `value` is a pty size within bounds (integers 1..MAX_PTY_CELLS). */
export function isPtySize(value: unknown): value is PtySize {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { cols, rows } = value as Record<string, unknown>;
  const cell = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_PTY_CELLS;
  return cell(cols) && cell(rows) && Object.keys(value).every((k) => k === 'cols' || k === 'rows');
}

export type ToRunner =
  | { type: 'open'; request: SessionRequest }
  | ({ type: 'spawn' } & SpawnRequest)
  | { type: 'stdin'; id: string; data: string }
  | { type: 'closeStdin'; id: string }
  | { type: 'kill'; id: string; signal: string }
  /** The client's terminal changed size: a command started with `pty` gets it (and SIGWINCH from its kernel). */
  | ({ type: 'resize'; id: string } & PtySize)
  | { type: 'shutdown' };

/**
 * One connection attempt through the filtering proxy of an allowlist session, as evidence:
 * when, what was asked (normalised host, port), through which protocol, allowed or denied and
 * the rule that decided (`network.allow: x`, `network.deny: y`, `not in network.allow`, …).
 */
export interface ConnectionRecord {
  time: string;
  via: 'connect' | 'http' | 'socks5';
  host: string;
  port: number;
  allowed: boolean;
  rule: string;
  /** The address dialled (allowed attempts). */
  address?: string;
  /** Why an allowed attempt still failed (connect error). */
  error?: string;
}

/**
 * An access the kernel refused to a sandboxed command, as the root side of the session read it
 * from the kernel (never from the command's own output): Landlock's audit records on Linux.
 * `target` and `operation` come from the kernel's record; `target` is a name the command chose
 * (a path), so it is data to show escaped, never to act on.
 */
export interface ViolationRecord {
  /** What was attempted, in one word. */
  kind: 'write' | 'read' | 'exec' | 'ioctl' | 'connect' | 'bind' | 'signal' | 'ptrace' | 'other';
  /** The path, address or process it was aimed at ('' when the kernel names none). */
  target: string;
  /** The kernel's name for the refused rights, e.g. `fs.write_file` or `fs.make_reg,fs.write_file`. */
  operation: string;
  time: string;
  /** Why, in words: `outside the writable roots`, `signal to a process outside the session`, … */
  rule: string;
  /** `landlock`: its audit records; `nflog`: a packet the offline session's namespace refused (target `address:port`). */
  source: 'landlock' | 'nflog';
}

/** What the runner could and could not enforce; the orchestrator warns on degradations. */
export interface Enforcement {
  /** Landlock ABI in force (0 = none: degraded), or the Windows mechanism name. */
  landlockAbi?: number;
  /** How the workspace is made writable: `idmap`, `acl`, `restricted-token`. */
  workspaceAccess: string;
  networkNamespace: boolean;
  /** `cgroup-v2`, `cgroup-v1-pids`, `pid-namespace`, `job-object`. */
  containment: string;
  /** Human-readable warnings the CLI prints (never silent degradation). */
  warnings: string[];
  /**
   * Where violation reports come from, each `on` or why not (e.g. `off: the kernel's audit is
   * disabled (auditctl -e 1)`): `landlock` (refused file accesses, signals), `nflog` (packets
   * an offline session's namespace refused). Absent from runners that have no sources (Windows, older ones).
   */
  violationSources?: { landlock: string; nflog?: string };
}

export type FromRunner =
  | {
      type: 'hello';
      version: number;
      identity: string;
      platform: string;
      policyDigest: string;
      enforcement: Enforcement;
      /** The identity's home and the session temp directory (HOME and TMPDIR of commands). */
      home: string;
      tmpdir: string;
      /** The host addresses the runner listens on for published ports (`127.0.0.1:3000`, `[::1]:3000`); absent: none. */
      published?: string[];
      /** The runner gives commands a pseudo-terminal on request (spawn `pty`); absent: it cannot. */
      pty?: boolean;
    }
  | { type: 'started'; id: string; pid: number }
  | { type: 'stdout'; id: string; data: string }
  | { type: 'stderr'; id: string; data: string }
  | {
      type: 'exit';
      id: string;
      code: number | null;
      signal: string | null;
      durationMs: number;
      timedOut: boolean;
      outputTruncated: boolean;
      /** Why the runner's side killed it when no one asked: `out of memory` (the session's memory limit). */
      killed?: 'out of memory';
      /**
       * Offline session with a network namespace of its own: how many times, while the command
       * ran, a packet or connection to a non-loopback address was refused — by the namespace's
       * refusal table (its nflog records, lost ones included) or for want of a route (IPv4
       * OutNoRoutes + IPv6 Ip6OutNoRoutes of the namespace); a name lookup to the session's
       * name server counts too. Absent where it is not counted.
       */
      noRoute?: number;
      /** Accesses the kernel refused while the command ran (ViolationRecord); absent when none or no source. */
      violations?: ViolationRecord[];
      /** Violation records the runner could not read in time (its socket buffer overflowed). */
      violationsDropped?: number;
    }
  | { type: 'error'; id?: string; code: string; message: string }
  /**
   * A pty command's ^Z that the kernel would have dropped stopped it instead (SIGSTOP; Linux:
   * runner/linux/lost-suspend.ts): the client suspends itself and, once continued, sends
   * `kill SIGCONT`.
   */
  | { type: 'suspended'; id: string }
  /** A proxy decision, sent to the commands running when it was made (`ids`; exact when one runs). */
  | ({ type: 'connection'; ids: string[] } & ConnectionRecord);

export type Message = ToRunner | FromRunner;

export function encodeFrame(message: Message): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** Longest excerpt of a peer-chosen value (an id, a key, a type) that an error frame echoes. */
export const MAX_ECHO_CHARS = 200;

/**
 * `text` cut to `max` characters, saying how long it was. Threat model: the peer chooses ids,
 * keys and types up to a whole frame (8 MiB, and invalid UTF-8 triples when re-encoded as
 * U+FFFD); an error that echoed them whole would not fit in a frame of its own, and the
 * answer would be lost (before hello: no error frame at all; after: an uncaught RangeError).
 */
export function excerpt(text: string, max = MAX_ECHO_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Incremental decoder: push chunks as they arrive, get whole messages back. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) break;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32LE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buffered < HEADER_BYTES + length) break;
      const frame = this.take(HEADER_BYTES + length);
      try {
        out.push(JSON.parse(frame.toString('utf8', HEADER_BYTES)));
      } catch (err) {
        throw new FrameError(`frame is not JSON: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}
