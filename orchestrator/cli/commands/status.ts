/**
 * `corral status [--json]`: each provisioned item, present and as recorded, or not, and what
 * would make sessions fail (an unsafe or invalid machine config, a workspace now owned by
 * someone else, a missing identity home), each finding with its remedy. Exit 1 on a finding,
 * 3 when not provisioned, 4 (not_permitted) for a caller who is neither root nor in the user group.
 */
import type { Command } from 'commander';
import { CorralError, ERROR_CODES } from '../../../core/errors.js';
import { currentPlatform } from '../../current-platform.js';
import { printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

export function registerStatus(program: Command, setExit: SetExit): void {
  program
    .command('status')
    .description('Check each provisioned item against the machine, and what would make sessions fail (machine config, workspace owners, identity homes); exit 1 on a finding.')
    .option('--json', 'one JSON document')
    .action(async (opts: { json?: boolean }) => {
      // Loaded when the command runs: every module imported at the top costs every command's start-up.
      const { statusText } = await import('../plan-output.js');
      const leaf = await currentPlatform();
      const prov = await leaf.createProvisioner();
      try {
        const report = await prov.status();
        const bad = report.items.filter((i) => i.state === 'missing' || i.state === 'drifted');
        // A finding may carry its own remedy (a machine config to fix, a workspace owned by someone
        // else): the summary then names them all, not only "run setup again".
        const remedies = [...new Set(bad.map((i) => i.remedy ?? ERROR_CODES.drift_detected.remedy))];
        const error = !report.provisioned
          ? new CorralError('not_provisioned', `Corral (${report.installation}) is not provisioned on this machine`)
          : bad.length > 0
            ? new CorralError('drift_detected', `${bad.length} item${bad.length === 1 ? '' : 's'} missing or drifted: ${bad.map((i) => i.id).join(', ')}`, {
                remedy: remedies.join(' '),
              })
            : null;
        if (opts.json === true) printJson({ ok: error === null, ...report, ...(error !== null ? { error: error.toJSON() } : {}) });
        else {
          process.stdout.write(statusText(report));
          if (error === null) {
            // nothing more to say
          } else if (!report.provisioned) process.stdout.write(`  ${error.remedy} [${error.code}]\n`);
          else if (bad.every((i) => i.remedy !== undefined)) process.stdout.write(`${error.message}\n  The line under each finding says what to do. [${error.code}]\n`);
          else process.stdout.write(`${error.message}\n  ${error.remedy} [${error.code}]\n`);
        }
        setExit(error === null ? 0 : error.exitCode);
      } finally {
        await prov.close();
      }
    });
}
