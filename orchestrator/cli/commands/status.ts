/** `corral status [--json]`: each provisioned item, present and as recorded, or not (exit 1 on drift, 3 when not provisioned). */
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { currentPlatform } from '../../current-platform.js';
import { printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

export function registerStatus(program: Command, setExit: SetExit): void {
  program
    .command('status')
    .description('Check each provisioned item against the machine; report drift.')
    .option('--json', 'one JSON document')
    .action(async (opts: { json?: boolean }) => {
      // Loaded when the command runs: every module imported at the top costs every command's start-up.
      const { statusText } = await import('../plan-output.js');
      const leaf = await currentPlatform();
      const prov = await leaf.createProvisioner();
      try {
        const report = await prov.status();
        const bad = report.items.filter((i) => i.state === 'missing' || i.state === 'drifted');
        const error = !report.provisioned
          ? new CorralError('not_provisioned', `Corral (${report.installation}) is not provisioned on this machine`)
          : bad.length > 0
            ? new CorralError('drift_detected', `${bad.length} item${bad.length === 1 ? '' : 's'} missing or drifted: ${bad.map((i) => i.id).join(', ')}`)
            : null;
        if (opts.json === true) printJson({ ok: error === null, ...report, ...(error !== null ? { error: error.toJSON() } : {}) });
        else {
          process.stdout.write(statusText(report));
          if (error !== null && report.provisioned) process.stdout.write(`${error.message}\n  ${error.remedy} [${error.code}]\n`);
          else if (error !== null) process.stdout.write(`  ${error.remedy} [${error.code}]\n`);
        }
        setExit(error === null ? 0 : error.exitCode);
      } finally {
        await prov.close();
      }
    });
}
