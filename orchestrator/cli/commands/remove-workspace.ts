/**
 * `corral setup --remove-workspace DIR [--user NAME] [--yes] [--dry-run] [--json]`: take back
 * what setup did for one workspace (its ACL grants, the traverse entries no other workspace
 * needs, the identities' homes for it, its state record) and keep everything else. Planned and
 * applied like setup: the plan shown first, journaled steps, the same progress output and
 * flags; without --yes on a terminal it asks, elsewhere it needs --yes.
 */
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import { currentPlatform } from '../../current-platform.js';
import { outputMode, printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

export interface RemoveWorkspaceOptions {
  removeWorkspace: string;
  user?: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export async function removeWorkspace(opts: RemoveWorkspaceOptions, setExit: SetExit): Promise<void> {
  const [{ applyPlan }, { confirm }, { planDocument, planText, resultText }] = await Promise.all([
    import('../../apply-plan.js'),
    import('../../setup-wizard.js'),
    import('../plan-output.js'),
  ]);
  if (opts.removeWorkspace === '') throw new CorralError('usage', '--remove-workspace needs a directory');
  const workspace = path.resolve(process.cwd(), opts.removeWorkspace);
  const mode = outputMode(opts);
  const leaf = await currentPlatform();
  const prov = await leaf.createProvisioner();
  let unlock: (() => void) | undefined;
  try {
    const args = [
      'setup',
      '--remove-workspace',
      workspace,
      ...(opts.user !== undefined ? ['--user', opts.user] : []),
      ...(opts.yes === true ? ['--yes'] : []),
      ...(opts.dryRun === true ? ['--dry-run'] : []),
      ...(opts.json === true ? ['--json'] : []),
    ];
    await prov.checkPrerequisites(args);
    if (prov.planRemoveWorkspace === undefined) {
      throw new CorralError('platform_unsupported', `removing one workspace is not available on ${leaf.name} yet`, {
        remedy: '`corral teardown` removes everything Corral set up, every workspace included; then set up the ones to keep.',
      });
    }
    const realUser = await prov.resolveRealUser(opts.user, { workspace });
    // Under the installation's lock, like setup and teardown: their journal records never interleave.
    if (opts.dryRun !== true) {
      unlock = await prov.lock?.('setup --remove-workspace');
      // Kept sessions end first: a live runner of the identities would make the removal refuse.
      await (await import('../../session-host/end-reuse.js')).stopKeptSessions(prov.installation);
    }
    const plan = await prov.planRemoveWorkspace({ realUser, workspace });
    const head = { realUser: realUser.name, workspace };
    if (opts.dryRun === true) {
      if (mode === 'json') printJson({ ok: true, dryRun: true, ...head, ...planDocument(plan) });
      else process.stdout.write(planText(plan, { showUnchanged: true }));
      return;
    }
    if (opts.yes !== true) {
      const interactive = mode === 'tty' && process.stdin.isTTY === true;
      if (mode !== 'json') process.stdout.write(planText(plan, { showUnchanged: interactive }));
      if (!interactive) throw new CorralError('usage', 'setup --remove-workspace changes the machine; pass --yes to apply');
      if (!(await confirm(`Remove workspace ${workspace}?`))) throw new CorralError('cancelled', 'workspace not removed; nothing was changed');
    }
    await prov.preflightApply?.();
    const result = await applyPlan(plan, prov.journal, mode);
    if (mode === 'json') printJson({ ...result, changed: true, ...head });
    else {
      process.stdout.write(resultText(result));
      for (const w of plan.warnings) process.stdout.write(`warning: ${w}\n`);
    }
    setExit(0);
  } finally {
    unlock?.();
    await prov.close();
  }
}
