/** Printing plans, apply results and status reports (text; --json prints the same data as one document). */
import type { ApplyResult } from '../apply-plan.js';
import type { Plan, StatusReport } from '../platform.js';

export function planDocument(plan: Plan): Record<string, unknown> {
  return {
    action: plan.action,
    changes: plan.steps.map((s) => ({ id: s.id, title: s.title, ...(s.why !== undefined ? { why: s.why } : {}), commands: s.preview })),
    unchanged: plan.unchanged,
    warnings: plan.warnings,
    ...(plan.workspaceAccess !== undefined ? { workspaceAccess: plan.workspaceAccess } : {}),
  };
}

export interface PlanTextOptions {
  showUnchanged: boolean;
  /** The exact commands under each step (--verbose, --dry-run, teardown); false: the readable list only. */
  commands?: boolean;
  /** Whom the plan is for (setup): named in the heading. */
  realUser?: string;
}

const ACCESS_WORDS: Record<'idmap' | 'acl', string> = {
  idmap: 'idmapped mount (each session mounts the workspace with its files mapped to the identity; no ACLs on your files)',
  acl: 'ACL grants (POSIX ACL entries for the identities on the workspace tree, protected paths read-only)',
};

export function planText(plan: Plan, opts: PlanTextOptions): string {
  const commands = opts.commands ?? true;
  const lines: string[] = [];
  const forWhom = opts.realUser !== undefined ? ` for ${opts.realUser}` : '';
  const n = plan.steps.length;
  if (n === 0) lines.push(`Nothing to do${forWhom}: everything is ${plan.action === 'setup' ? 'as desired' : 'already removed'}.`);
  else if (opts.realUser !== undefined) {
    const again = plan.unchanged.length > 0 ? `; ${plan.unchanged.length} already in place` : '';
    lines.push(`Plan (${plan.action}${forWhom}: ${n} change${n === 1 ? '' : 's'}${again}):`);
  } else lines.push(`Plan (${plan.action}, ${n} step${n === 1 ? '' : 's'}):`);
  plan.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.title}`);
    if (s.why !== undefined) lines.push(`       why: ${s.why}`);
    if (commands) for (const c of s.preview) for (const l of c.split('\n')) lines.push(`       ${l}`);
  });
  if (plan.workspaceAccess !== undefined && plan.workspaceAccess.length > 0) {
    lines.push('Workspace access:');
    for (const w of plan.workspaceAccess) lines.push(`  - ${w.path}: ${ACCESS_WORDS[w.access]} — ${w.reason}`);
  }
  if (opts.showUnchanged && plan.unchanged.length > 0) {
    lines.push(n > 0 ? 'Unchanged (already in place):' : 'Unchanged:');
    for (const u of plan.unchanged) lines.push(`  - ${u}`);
  }
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  if (!commands && n > 0) lines.push('(the exact commands: run again with --verbose)');
  return `${lines.join('\n')}\n`;
}

/** What to do after setup, for the user it was for (issue 13.7). */
export function nextStepsText(info: { realUser: string; userGroup: string; workspaces: readonly string[]; protectedNames: readonly string[]; joined: boolean }): string {
  const ws = info.workspaces[0];
  const lines = ['Next steps:'];
  let i = 1;
  if (info.joined) lines.push(`  ${i++}. ${info.realUser}: log in again (or run \`newgrp ${info.userGroup}\` in a shell) to be in group ${info.userGroup}, which may start sessions.`);
  lines.push(`  ${i++}. Try it as ${info.realUser}${ws !== undefined ? `, in ${ws}` : ''}: corral run -- id   (it prints the sandbox account, not ${info.realUser})`);
  lines.push(`  ${i++}. Read-only for the agent in every workspace: ${info.protectedNames.join(', ')} (corral policy show lists them; the policy's "protected" adds more).`);
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
