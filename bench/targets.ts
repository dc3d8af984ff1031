/** The targets, computed from one run's rows (every ratio within the same run). */
import { allowlistTargets } from './allowlist.js';
import type { ConcurrencySummary } from './concurrency.js';
import { NOOP_SETUP_ROW } from './corral.js';
import { ROW, type Row } from './per-command.js';
import { findMedian, ratioTarget, type Target } from './report.js';

/** Per-command ratios, on the `/bin/true` section: [name, numerator row, denominator row, bound]. */
const RATIOS: [string, string, string, { max?: number; min?: number }][] = [
  ['warm exec vs plain spawn (/bin/true)', ROW.warm, ROW.plain, { max: 1.5 }],
  ['warm exec faster than bubblewrap (/bin/true)', ROW.bwrap, ROW.warm, { min: 3 }],
  ['cold corral run vs node -e 0', ROW.cold, ROW.node, { max: 1.6 }],
];

export function computeTargets(rows: readonly Row[], concurrency: ConcurrencySummary | undefined): Target[] {
  const section = rows.find((r) => r.name === ROW.plain)?.section ?? '';
  const targets = RATIOS.map(([name, a, b, bound]) =>
    ratioTarget(name, findMedian(rows, section, a), findMedian(rows, section, b), bound, `median ${a} / median ${b}`),
  );
  const noop = rows.find((r) => r.name === NOOP_SETUP_ROW)?.timing?.median ?? null;
  targets.push({
    name: 'no-op setup',
    goal: '≤ 0.5 s',
    value: noop === null ? null : noop / 1000,
    pass: noop === null ? null : noop <= 500,
    detail: 'median seconds of `corral setup --yes` with nothing to do',
  });
  const c = concurrency;
  const conc = ratioTarget(
    'concurrent throughput vs plain spawn',
    c?.corralPerSec ?? null,
    c?.plainPerSec ?? null,
    { min: 0.7 },
    c === undefined ? 'commands/s' : `commands/s, ${c.sessions} sessions × ${c.commandsPerSession}; failures: ${c.failures}`,
  );
  // A failed command is a failed target, whatever the throughput.
  if (c !== undefined && c.failures > 0) conc.pass = false;
  targets.push(conc);
  targets.push(...allowlistTargets(rows));
  return targets;
}
