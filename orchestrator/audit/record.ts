/**
 * One audit record per command (DESIGN.md §Audit), one JSON line each in the real user's
 * audit log. Field names are stable: `corral audit --json` and other tools read them.
 */
import type { ConnectionRecord, ViolationRecord } from '../../core/protocol.js';
import type { Network } from '../../core/vocabulary.js';

export const AUDIT_VERSION = 1;

export interface AuditRecord {
  v: typeof AUDIT_VERSION;
  /** ISO 8601 time the command was started. */
  time: string;
  /** The session's random id (groups the commands of one session). */
  session: string;
  /** The command's id within the session. */
  command: string;
  realUser: string;
  identity: string;
  network: Network;
  workspace: string;
  argv: string[];
  cwd: string;
  policyDigest: string;
  /** Host addresses the session's ports were published on while it ran (`127.0.0.1:3000`); absent when none. */
  published?: string[];
  /** The command's exit code; null when killed by a signal or when it did not start. */
  exitCode: number | null;
  signal: string | null;
  /** Shell-style status (124 timeout, 128+n killed); null when it did not start. */
  status: number | null;
  durationMs: number;
  timedOut: boolean;
  outputTruncated: boolean;
  /** Allowlist network: the filtering proxy's decisions for this command (absent when none). */
  connections?: ConnectionRecord[];
  /** Accesses the kernel refused (Linux: Landlock's audit records), read by the session's root side. */
  violations?: ViolationRecord[];
  violationsDropped?: number;
  /** When the command could not run: the error code (e.g. `runner_failed`). */
  error?: string;
}

export function isAuditRecord(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.time === 'string' && typeof r.session === 'string' && Array.isArray(r.argv) && typeof r.cwd === 'string';
}
