/**
 * `corral verify`: the user's own escape test. Opens a real session for a provisioned workspace,
 * performs each attempt of attempts.ts for real, checks each outcome on the host, and reports a
 * table: attempt, expected, result, held / ESCAPE. Needs no root and changes nothing outside the
 * scratch directories it creates and removes (it writes no audit records either).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import { protectedNames } from '../../core/protected-names.js';
import type { Network } from '../../core/vocabulary.js';
import { currentPlatform } from '../current-platform.js';
import { openSession } from '../session/open.js';
import { ATTEMPTS, type AttemptResult, type VerifyContext } from './attempts.js';

export interface VerifyOptions {
  workspace?: string;
  network?: Network;
  /**
   * An existing, empty directory to use as the outside write target instead of a fresh one —
   * for checking that verify sees a weakened policy (e.g. this directory made a writable root).
   */
  outside?: string;
}

export interface VerifyReport {
  ok: boolean;
  workspace: string;
  identity: string;
  network: Network;
  attempts: AttemptResult[];
  held: number;
  escaped: number;
  skipped: number;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export async function runVerify(options: VerifyOptions = {}): Promise<VerifyReport> {
  const leaf = await currentPlatform();
  if (leaf.name !== 'linux') {
    throw new CorralError('platform_unsupported', 'corral verify runs its attempts on Linux in this build; on Windows it is not built yet');
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'corral-verify-'));
  const outside = options.outside ?? path.join(scratch, 'outside');
  const cleanup: string[] = [scratch];
  try {
    if (options.outside === undefined) mkdirSync(outside);
    const secretDir = path.join(scratch, 'secret');
    mkdirSync(secretDir);
    // Modes that let anyone in: only the sandbox can stand between the identity and these.
    chmodSync(scratch, 0o755);
    chmodSync(secretDir, 0o755);
    if (options.outside === undefined) chmodSync(outside, 0o777);
    const secretToken = randomBytes(12).toString('hex');
    const denyReadFile = path.join(secretDir, 'credentials');
    writeFileSync(denyReadFile, `${secretToken}\n`, { mode: 0o644 });
    chmodSync(denyReadFile, 0o644);
    const secretEnv = { name: 'CORRAL_VERIFY_TOKEN', value: randomBytes(12).toString('hex') };

    // Before the session opens: while it lives, placeholders stand in for the missing names.
    const workspaceGuess = path.resolve(options.workspace ?? process.cwd());
    const missing = (root: string) =>
      protectedNames(leaf.installation.name)
        .filter((p) => !exists(path.join(root, p.name)))
        .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'file' ? -1 : 1))
        .map((p) => p.name);
    const missingBefore = missing(workspaceGuess);
    const session = await openSession({
      ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
      ...(options.network !== undefined ? { network: options.network } : {}),
      env: { ...process.env, [secretEnv.name]: secretEnv.value },
      denyRead: [denyReadFile],
      audit: false,
    });
    const results: AttemptResult[] = [];
    const ctx: VerifyContext = {
      session,
      workspace: session.workspace,
      outside,
      denyReadFile,
      secretToken,
      secretEnv,
      node: leaf.installation.runnerNode,
      // The session's workspace is canonical; the guess may differ (a symlink, a subdirectory).
      missingProtected: session.workspace === workspaceGuess ? missingBefore : null,
      afterClose: [],
    };
    try {
      for (const attempt of ATTEMPTS) {
        const r = await attempt.run(ctx);
        if (r !== null) results.push(r);
      }
    } finally {
      await session.close();
    }
    for (const check of ctx.afterClose) results.push(await check());
    const count = (o: AttemptResult['outcome']) => results.filter((r) => r.outcome === o).length;
    return {
      ok: count('ESCAPE') === 0,
      workspace: session.workspace,
      identity: session.identity,
      network: session.network,
      attempts: results,
      held: count('held'),
      escaped: count('ESCAPE'),
      skipped: count('skipped'),
    };
  } finally {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }
}

/** The table a person reads. */
export function renderVerifyTable(report: VerifyReport): string {
  const rows = report.attempts.map((a) => [a.attempt, a.expected, a.result, a.outcome === 'ESCAPE' ? 'ESCAPE' : a.outcome]);
  const header = ['attempt', 'expected', 'result', 'held/ESCAPE'];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : cell(c, widths[i]!))).join('  ');
  const out = [
    `corral verify: ${report.workspace} as ${report.identity} (${report.network})`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${report.held} held, ${report.escaped} escaped, ${report.skipped} skipped${report.ok ? '' : ' — THE SANDBOX DID NOT HOLD'}`,
  ];
  return `${out.join('\n')}\n`;
}
