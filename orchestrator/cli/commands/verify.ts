/** `corral verify [--workspace DIR] [--network offline|online] [--json]`: prove your own sandbox holds. */
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { NETWORKS, type Network } from '../../../core/vocabulary.js';
import { printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

export function registerVerify(program: Command, setExit: SetExit): void {
  program
    .command('verify')
    .description(
      'Run real escape attempts in a real session of a provisioned workspace (writes outside and to protected paths, a read-deny read, TCP/UDP/DNS, a signal, a daemon, a secret variable, setuid) and check each outcome on the host. Exit 0 when every attempt held, 1 when one escaped. Needs no root; changes nothing outside the scratch directories it creates and removes.',
    )
    .option('--workspace <dir>', 'a provisioned workspace (default: the one the current directory is in)')
    .option('--network <network>', 'offline or online (default: from policy)')
    .option('--outside <dir>', 'an existing empty directory to use as the outside write target (to check that verify notices a weakened policy)')
    .option('--json', 'one JSON document: the same table')
    .action(async (opts: { workspace?: string; network?: string; outside?: string; json?: boolean }) => {
      if (opts.network !== undefined && !(NETWORKS as readonly string[]).includes(opts.network)) {
        throw new CorralError('usage', `--network takes offline or online; found ${JSON.stringify(opts.network)}`);
      }
      const { runVerify, renderVerifyTable } = await import('../../verify/verify.js');
      const report = await runVerify({
        ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
        ...(opts.network !== undefined ? { network: opts.network as Network } : {}),
        ...(opts.outside !== undefined ? { outside: opts.outside } : {}),
      });
      if (opts.json === true) printJson(report);
      else process.stdout.write(renderVerifyTable(report));
      setExit(report.ok ? 0 : 1);
    });
}
