/** Printing plans, apply results and status reports (text; --json prints the same data as one document). */
import type { ApplyResult } from '../apply-plan.js';
import type { Plan, StatusReport } from '../platform.js';

export function planDocument(plan: Plan): Record<string, unknown> {
  return {
    action: plan.action,
    changes: plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.preview })),
    unchanged: plan.unchanged,
    warnings: plan.warnings,
  };
}

export function planText(plan: Plan, opts: { showUnchanged: boolean }): string {
  const lines: string[] = [];
  if (plan.steps.length === 0) lines.push(`Nothing to do: everything is ${plan.action === 'setup' ? 'as desired' : 'already removed'}.`);
  else lines.push(`Plan (${plan.action}, ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}):`);
  plan.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.title}`);
    for (const c of s.preview) for (const l of c.split('\n')) lines.push(`       ${l}`);
  });
  if (opts.showUnchanged && plan.unchanged.length > 0) {
    lines.push('Unchanged:');
    for (const u of plan.unchanged) lines.push(`  - ${u}`);
  }
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export function resultText(result: ApplyResult): string {
  const applied = result.steps.filter((s) => s.status === 'applied').length;
  const what = result.action === 'setup' ? 'Setup' : result.action === 'teardown' ? 'Teardown' : 'Workspace removal';
  return `${what} done: ${applied} step${applied === 1 ? '' : 's'} applied.\n`;
}

/** One column wide enough for the longest mark, so descriptions line up. */
const MARK_WIDTH = 10;
const MARK: Record<string, string> = Object.fromEntries(
  Object.entries({ ok: 'ok', missing: 'MISSING', drifted: 'DRIFTED', unchecked: 'unchecked' }).map(([k, v]) => [k, v.padEnd(MARK_WIDTH)]),
);

export function statusText(report: StatusReport): string {
  if (!report.provisioned) return `Corral (${report.installation}) is not provisioned on this machine.\n`;
  const lines = [`Corral (${report.installation}, ${report.platform}):`];
  for (const i of report.items) {
    lines.push(`  ${MARK[i.state]} ${i.description}${i.detail !== undefined ? ` — ${i.detail}` : ''}`);
    if (i.remedy !== undefined && (i.state === 'missing' || i.state === 'drifted')) lines.push(`  ${' '.repeat(MARK_WIDTH)} → ${i.remedy}${i.code !== undefined ? ` [${i.code}]` : ''}`);
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
