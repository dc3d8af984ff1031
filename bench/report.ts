/** Printing the benchmark table and checking the targets. */
import { fmtMs } from './stats.js';
import type { Row } from './per-command.js';

export interface Target {
  name: string;
  /** Human form of the target, e.g. "≤ 1.5×". */
  goal: string;
  value: number | null;
  pass: boolean | null;
  /** How the value was computed, or why there is none. */
  detail: string;
}

export function renderRows(rows: readonly Row[]): string {
  const lines: string[] = [];
  let section = '';
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', section, `  ${'what'.padEnd(width)}  ${'median'.padStart(10)}  ${'p95'.padStart(10)}  runs`);
    }
    const t = r.timing;
    const cells = t === null ? `${'—'.padStart(10)}  ${'—'.padStart(10)}     ` : `${fmtMs(t.median).padStart(10)}  ${fmtMs(t.p95).padStart(10)}  ${String(t.runs).padStart(4)}`;
    lines.push(`  ${r.name.padEnd(width)}  ${cells}${r.note === undefined ? '' : `  ${r.note}`}`);
  }
  return lines.join('\n');
}

export function renderTargets(targets: readonly Target[]): string {
  const lines = ['', 'Targets'];
  for (const t of targets) {
    const verdict = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS';
    const value = t.value === null ? '—' : t.value.toFixed(2);
    lines.push(`  ${verdict}  ${t.name.padEnd(44)} ${t.goal.padEnd(10)} ${value.padStart(7)}  ${t.detail}`);
  }
  return lines.join('\n');
}

export function findMedian(rows: readonly Row[], section: string, name: string): number | null {
  return rows.find((r) => r.section === section && r.name === name)?.timing?.median ?? null;
}

/** A ratio target: value = a / b, pass when value ≤ max (or ≥ min). */
export function ratioTarget(name: string, a: number | null, b: number | null, bound: { max?: number; min?: number }, detail: string): Target {
  const goal = bound.max !== undefined ? `≤ ${bound.max}×` : `≥ ${bound.min}×`;
  if (a === null || b === null || b === 0) return { name, goal, value: null, pass: null, detail: `${detail} (a figure is missing)` };
  const value = a / b;
  const pass = bound.max !== undefined ? value <= bound.max : value >= (bound.min ?? 0);
  return { name, goal, value, pass, detail };
}
