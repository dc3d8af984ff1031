/** `corral teardown [--yes] [--dry-run] [--json]`: undo the journal in reverse; remove only what Corral added. */
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { currentPlatform } from '../../current-platform.js';
import { outputMode, printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

interface TeardownOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function registerTeardown(program: Command, setExit: SetExit): void {
  program
    .command('teardown')
    .description('Remove everything setup added, newest first, from the journal.')
    .option('--yes', 'apply without asking')
    .option('--dry-run', 'print the exact commands and change nothing')
    .option('--json', 'one JSON document')
    .action(async (opts: TeardownOptions) => {
      // Loaded when the command runs: every module imported at the top costs every command's start-up.
      const [{ applyPlan }, { confirm }, { planDocument, planText, resultText }] = await Promise.all([
        import('../../apply-plan.js'),
        import('../../setup-wizard.js'),
        import('../plan-output.js'),
      ]);
      const mode = outputMode(opts);
      const leaf = await currentPlatform();
      const prov = await leaf.createProvisioner();
      let unlock: (() => void) | undefined;
      try {
        const args = ['teardown', ...(opts.yes === true ? ['--yes'] : []), ...(opts.dryRun === true ? ['--dry-run'] : []), ...(opts.json === true ? ['--json'] : [])];
        await prov.checkPrerequisites(args);
        if (opts.dryRun !== true) {
          unlock = await prov.lock?.('teardown');
          // Kept sessions end first: their runners are processes of the identities teardown deletes.
          await (await import('../../session-host/end-reuse.js')).stopKeptSessions(prov.installation);
        }
        const plan = await prov.planTeardown();
        if (opts.dryRun === true || plan.steps.length === 0) {
          if (mode === 'json') printJson({ ok: true, dryRun: opts.dryRun === true, changed: false, ...planDocument(plan) });
          else process.stdout.write(planText(plan, { showUnchanged: false }));
          return;
        }
        if (opts.yes !== true) {
          const interactive = mode === 'tty' && process.stdin.isTTY === true;
          if (mode !== 'json') process.stdout.write(planText(plan, { showUnchanged: false }));
          if (!interactive) throw new CorralError('usage', 'teardown changes the machine; pass --yes to apply');
          if (!(await confirm('Remove everything listed above?'))) throw new CorralError('cancelled', 'teardown not applied; nothing was changed');
        }
        await prov.preflightApply?.();
        const result = await applyPlan(plan, prov.journal, mode);
        if (mode === 'json') printJson({ ...result, changed: true });
        else process.stdout.write(resultText(result));
        setExit(0);
      } finally {
        unlock?.();
        await prov.close();
      }
    });
}
