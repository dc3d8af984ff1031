/**
 * What the platform-independent session loop (runner/session.ts) needs from a platform:
 * confine this process once at start-up, then start commands already confined.
 *
 * Linux: runner/linux/backend.ts (namespaces, mounts, Landlock, uid drop; commands via
 * child_process.spawn). Windows: runner/windows/backend.ts (restricted token,
 * CreateProcessAsUserW, job objects).
 */
import type { ProxyDecision } from '../core/proxy/server.js';
import type { Enforcement, PtySize, SessionRequest, SpawnRequest, ViolationRecord } from '../core/protocol.js';

export interface CommandEvents {
  started(pid: number): void;
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** Exactly once, after both output streams have ended. */
  exit(result: { code: number | null; signal: string | null; timedOut: boolean; killed?: 'out of memory'; noRoute?: number; violations?: ViolationRecord[]; violationsDropped?: number }): void;
  /** A pty command was stopped for a ^Z the kernel would have dropped (runner/linux/lost-suspend.ts); the client suspends itself. */
  suspended?(): void;
  /** The command could not be started (no exit follows). */
  failed(code: string, message: string): void;
}

export interface RunningCommand {
  writeStdin(chunk: Buffer): void;
  closeStdin(): void;
  /** Kill the command and everything it started. */
  kill(signal: string): void;
  /** Backpressure: stop delivering stdout/stderr chunks until resumeOutput(). */
  pauseOutput(): void;
  resumeOutput(): void;
  /** A command started with a pty: its new window size (absent, or a no-op, for pipes). */
  resize?(size: PtySize): void;
}

export interface ConfinedSession {
  identity: string;
  enforcement: Enforcement;
  home: string;
  tmpdir: string;
  /**
   * The digest of the policy this runner enforces (core/policy/floor.ts), sent in `hello`, and
   * the enforced limits the session loop applies; absent (a backend without the floor yet): the request's.
   */
  policyDigest?: string;
  limits?: { timeoutSec: number; maxOutputBytes: number };
  /** Published ports: the host addresses listened on (`127.0.0.1:3000`, `[::1]:3000`), sent in `hello`. */
  published?: string[];
  /** The backend honours SpawnRequest.pty (said in `hello`); absent or false: a spawn with one is refused. */
  pty?: boolean;
  spawn(request: SpawnRequest, events: CommandEvents): RunningCommand;
  /** Allowlist sessions: the filtering proxy's decisions, each connection attempt as it is decided. */
  onConnection?(listener: (decision: ProxyDecision) => void): void;
  /** Kill everything still running and release the session's resources. */
  close(): Promise<void>;
}

export interface RunnerBackend {
  /**
   * Validate `request` (hostile input) and confine this process. Runs before any async
   * work on Linux: it must be synchronous up to the point the restrictions are in place.
   */
  confine(request: SessionRequest): ConfinedSession;
}
