/**
 * Cost of the violation source (Landlock's audit records, runner/linux/landlock-audit.ts): warm
 * `session.exec` of a command that breaks no rule, and of one making 1,000 refused writes, in a
 * session opened with the kernel's audit off (no source) and one opened with it on — side by
 * side in one run. The machine's audit state is put back at the end, even on failure.
 */
import { openSession, type Session } from '../orchestrator/index.js';
import { FLOOD_BACKLOG, kernelAuditState, setKernelAudit, type KernelAudit } from '../test/helpers/kernel-audit.js';
import { measure } from './stats.js';
import type { Row } from './per-command.js';

const SECTION = 'Violation reports: Landlock audit source off vs on (warm session.exec, median/p95)';
const DENIED_WRITES = 'i=0; while [ $i -lt 1000 ]; do true > /etc/corral-bench-v-$i 2>/dev/null; i=$((i+1)); done';

async function sessionWithAudit(ws: string, enabled: 0 | 1): Promise<Session> {
  setKernelAudit(enabled, FLOOD_BACKLOG);
  return openSession({ workspace: ws, audit: false });
}

export async function benchViolations(ws: string, runs: number): Promise<Row[]> {
  let before: KernelAudit;
  try {
    before = kernelAuditState();
  } catch (err) {
    return [{ section: SECTION, name: 'all rows', timing: null, note: `cannot read the kernel's audit state: ${(err as Error).message}` }];
  }
  if (before.enabled === 2) return [{ section: SECTION, name: 'all rows', timing: null, note: 'the audit configuration is locked (audit=2)' }];
  const rows: Row[] = [];
  const sessions: Session[] = [];
  try {
    const off = await sessionWithAudit(ws, 0);
    sessions.push(off);
    const on = await sessionWithAudit(ws, 1);
    sessions.push(on);
    if (on.violationSources.landlock !== 'on') {
      return [{ section: SECTION, name: 'all rows', timing: null, note: `no source: ${on.violationSources.landlock ?? 'none'}` }];
    }
    const exec = (s: Session, argv: string[]) => async () => {
      const r = await s.exec(argv, { cwd: ws });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
      return r;
    };
    rows.push({ section: SECTION, name: '/bin/true, source off', timing: await measure(exec(off, ['/bin/true']), runs) });
    rows.push({ section: SECTION, name: '/bin/true, source on', timing: await measure(exec(on, ['/bin/true']), runs) });
    const n = Math.max(5, Math.ceil(runs / 20));
    rows.push({ section: SECTION, name: '1,000 refused writes, source off', timing: await measure(exec(off, ['sh', '-c', DENIED_WRITES]), n, 1) });
    let recorded = 0;
    const timing = await measure(async () => {
      const r = await exec(on, ['sh', '-c', DENIED_WRITES])();
      recorded = r.violations.length + r.violationsDropped;
    }, n, 1);
    rows.push({ section: SECTION, name: '1,000 refused writes, source on', timing, note: `${recorded} of 1,000 recorded in the last run (kernel backlog ${FLOOD_BACKLOG})` });
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
    setKernelAudit(before.enabled === 0 ? 0 : 1, before.backlogLimit);
  }
  return rows;
}
