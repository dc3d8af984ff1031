/**
 * What a session host and its clients say on the unix socket: the runner protocol's framing
 * (4-byte little-endian length, UTF-8 JSON, 8 MiB at most: core/protocol.ts FrameDecoder) with
 * messages of their own. One connection carries the host's `hello` and then at most one command
 * (`run`), or one `info` / `stop` request.
 *
 * Both ends are the same real user (the host checks the peer's uid before it says anything), so
 * this is not a privilege boundary; frames are still checked for shape, and a bad one ends the
 * connection, never the host.
 */
import { FrameDecoder, MAX_FRAME_BYTES } from '../../core/protocol.js';
import type { Enforcement, Network } from '../../core/protocol.js';
import type { GitAccess, Limits } from '../../core/vocabulary.js';
import type { CommandExit } from '../session/types.js';

/** The facts of a kept session, as `Session` shows them (remote.ts) and `corral session list` prints them. */
export interface SessionFacts {
  id: string;
  key: string;
  identity: string;
  workspace: string;
  network: Network;
  git: GitAccess;
  policyDigest: string;
  limits: Limits;
  shell: string | null;
  enforcement: Enforcement;
  published: string[];
  warnings: string[];
  violationSources: Record<string, string>;
  /** Commands may get a pseudo-terminal (Session.ptys). */
  ptys: boolean;
  /** The host's pid, its idle time-out (s), when it started and when its last command ended (ms since the epoch). */
  hostPid: number;
  idleSec: number;
  startedAt: number;
  lastUsedAt: number;
  commands: number;
  running: number;
  /** false: a one-command host (idleSec 0): it serves its spawner and ends. */
  kept: boolean;
}

export interface WireError {
  code: string;
  message: string;
  remedy?: string;
  details?: Record<string, unknown>;
}

export type ToHost =
  | { type: 'run'; key: string; argv: string[]; cwd: string; env: Record<string, string>; timeoutSec?: number; stdin: boolean; pty?: { cols: number; rows: number } }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'stdin'; data: string }
  | { type: 'closeStdin' }
  | { type: 'kill'; signal: string }
  | { type: 'info' }
  /** ifIdle: only when no command runs (setup and teardown never kill a running command). */
  | { type: 'stop'; ifIdle?: boolean };

export type FromHost =
  | { type: 'hello'; session: SessionFacts }
  | { type: 'stdout'; data: string }
  | { type: 'stderr'; data: string }
  | { type: 'exit'; exit: CommandExit }
  | { type: 'error'; error: WireError }
  /** This host will not run it (installation changed, key differs, shutting down): start another. */
  | { type: 'refused'; reason: string }
  | { type: 'stopping' }
  /** A pty command was stopped for a ^Z (the client suspends itself, then sends kill SIGCONT). */
  | { type: 'suspended' };

export function encode(message: ToHost | FromHost): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Raw bytes per stdout/stderr/stdin frame (base64 grows 4/3; room for the JSON around it). */
export const DATA_CHUNK_BYTES = 1024 * 1024;

export { FrameDecoder };

const isString = (v: unknown): v is string => typeof v === 'string';
/** Numbers only here; the Session's spawn and resize check the range (checkPtySize). */
const isSize = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { cols?: unknown }).cols === 'number' && typeof (v as { rows?: unknown }).rows === 'number';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** A client's frame, shape-checked; throws a TypeError naming what is wrong. */
export function checkToHost(value: unknown): ToHost {
  if (typeof value !== 'object' || value === null) throw new TypeError('frame is not an object');
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'run': {
      if (!isString(v.key) || !isStringArray(v.argv) || !isString(v.cwd) || typeof v.stdin !== 'boolean') throw new TypeError('run: key, argv, cwd and stdin are required');
      if (typeof v.env !== 'object' || v.env === null || Array.isArray(v.env) || !Object.values(v.env).every(isString)) throw new TypeError('run: env must map names to strings');
      if (v.timeoutSec !== undefined && typeof v.timeoutSec !== 'number') throw new TypeError('run: timeoutSec must be a number');
      if (v.pty !== undefined && !isSize(v.pty)) throw new TypeError('run: pty must be {cols, rows}');
      return {
        type: 'run',
        key: v.key,
        argv: v.argv,
        cwd: v.cwd,
        env: v.env as Record<string, string>,
        stdin: v.stdin,
        ...(v.timeoutSec !== undefined ? { timeoutSec: v.timeoutSec as number } : {}),
        ...(v.pty !== undefined ? { pty: { cols: (v.pty as { cols: number }).cols, rows: (v.pty as { rows: number }).rows } } : {}),
      };
    }
    case 'stdin':
      if (!isString(v.data)) throw new TypeError('stdin: data must be base64 text');
      return { type: 'stdin', data: v.data };
    case 'resize':
      if (!isSize(v)) throw new TypeError('resize: cols and rows must be numbers');
      return { type: 'resize', cols: v.cols as number, rows: v.rows as number };
    case 'kill':
      if (!isString(v.signal)) throw new TypeError('kill: signal must be a name');
      return { type: 'kill', signal: v.signal };
    case 'stop':
      return v.ifIdle === true ? { type: 'stop', ifIdle: true } : { type: 'stop' };
    case 'closeStdin':
    case 'info':
      return { type: v.type };
    default:
      throw new TypeError(`unknown frame type ${JSON.stringify(String(v.type).slice(0, 40))}`);
  }
}
