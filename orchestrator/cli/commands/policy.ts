/**
 * `corral policy show [--json]`, `corral policy check FILE [--as KIND] [--json]` and `corral policy schema`:
 * the resolved policy and where each value came from, a config file checked before it is installed
 * (fleet tools validate the machine config with it: ansible/roles/corral), and the JSON Schema.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import type { Command } from 'commander';
import { currentPlatform } from '../../current-platform.js';
import { POLICY_KEYS } from '../../policy/keys.js';
import { printJson } from '../output.js';
import { collect, firstWorkspace, flagsLayer, type PolicyFlags } from '../flags.js';
import type { SetExit } from './set-exit.js';
import { defaultWorkspace } from '../../session/provisioned.js';

function canonicalIfExists(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

export function registerPolicy(program: Command, _setExit: SetExit): void {
  const policy = program.command('policy').description('Show the resolved policy, or check a config file.');
  policy
    .command('show')
    .description('Print the resolved policy and the layer each value came from.')
    .option('--workspace <dir>', 'workspace whose .corral/config.json layer to include (default: the provisioned workspace the current directory is in, as corral run picks it; else the current directory)')
    .option('--network <offline|online>', 'as the --network flag of run/setup')
    .option('--allow-host <host[:port]>', 'as the --allow-host flag of run (repeatable)', collect)
    .option('--deny-host <host[:port]>', 'as the --deny-host flag of run (repeatable)', collect)
    .option('--publish <port>', 'as the --publish flag of run (repeatable)', collect)
    .option('--json', 'one JSON document')
    .action(async (opts: PolicyFlags & { json?: boolean }) => {
      const leaf = await currentPlatform();
      const user = await leaf.currentRealUser();
      const flags = flagsLayer(opts, process.cwd());
      // The workspace `corral run` would use from here (the provisioned one the current directory
      // is in, when none is named), so that both read the same layers from a subdirectory.
      let provisioned: ReturnType<typeof leaf.provisioned> = null;
      try {
        provisioned = leaf.provisioned(user);
      } catch {
        // An unreadable state file: the policy is still shown (status and run report the state).
      }
      const named = Array.isArray(opts.workspace) ? opts.workspace[0] : opts.workspace;
      const workspace = named === undefined ? defaultWorkspace(provisioned, canonicalIfExists(process.cwd())) : firstWorkspace(opts, process.cwd());
      const workspaces = provisioned?.user?.workspaces ?? [];
      // Loaded in the action: the schema library costs every other command's start-up.
      const { loadPolicy } = await import('../../policy/load.js');
      const resolved = loadPolicy({
        installation: leaf.installation,
        home: user.home,
        cwd: process.cwd(),
        workspace,
        flags,
      });
      const { sessionReads, formatReads } = await import('../../policy/reads.js');
      const reads = sessionReads(resolved.policy, {
        platform: leaf.installation.platform,
        home: user.home,
        workspace,
        exists: (p) => existsSync(p),
      });
      if (opts.json === true) {
        printJson({ ok: true, realUser: user.name, workspace, provisionedWorkspaces: workspaces, ...resolved, reads });
        return;
      }
      const lines = [`Policy for ${user.name} in ${workspace} (digest ${resolved.digest})`];
      lines.push(`  provisioned workspaces: ${workspaces.length === 0 ? 'none (run `sudo corral setup --workspace DIR`)' : workspaces.join(', ')}`);
      for (const key of POLICY_KEYS) {
        const lock = resolved.locked.includes(key) ? ' [locked]' : '';
        const value = resolved.policy[key];
        if (key === 'network' && typeof value === 'object' && !Array.isArray(value)) {
          lines.push(`  network: allowlist (offline identity, filtering proxy)${lock}`);
          for (const list of ['allow', 'deny'] as const) {
            const entries = resolved.hostSources.filter((s) => s.list === list);
            lines.push(`    ${list}:${entries.length === 0 ? ' (none)' : ''}`);
            for (const e of entries) lines.push(`      ${e.entry.padEnd(32)} from ${e.from}`);
          }
          continue;
        }
        lines.push(`  ${key}: ${JSON.stringify(value)}${lock}`);
        lines.push(`      from ${resolved.sources[key].join(' + ')}`);
      }
      lines.push(...formatReads(reads));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  policy
    .command('check <file>')
    .description('Check a config file as the layer it will be (default: the machine config); exit 2 naming the key when it is invalid.')
    .option('--as <kind>', 'machine, user or workspace', 'machine')
    .option('--json', 'one JSON document')
    .action(async (file: string, opts: { as: string; json?: boolean }) => {
      if (opts.as !== 'machine' && opts.as !== 'user' && opts.as !== 'workspace') {
        throw new CorralError('usage', `--as: expected machine, user or workspace, found ${JSON.stringify(opts.as)}`);
      }
      const kind = opts.as;
      const leaf = await currentPlatform();
      const user = await leaf.currentRealUser();
      const { readLayerFile } = await import('../../policy/load.js');
      const { resolvePolicy } = await import('../../policy/resolve.js');
      const layer = readLayerFile(kind, file);
      if (layer === null) throw new CorralError('config_invalid', `${file}: does not exist`, { details: { file } });
      // Resolved on top of the built-in defaults, as the layer will be: catches what the schema alone
      // cannot (a lock outside the machine layer, a relative path where none may be, a workspace
      // layer that widens).
      const workspace = kind === 'workspace' ? path.dirname(path.dirname(path.resolve(file))) : process.cwd();
      const resolved = resolvePolicy([layer], { platform: leaf.installation.platform, installation: leaf.installation.name, home: user.home, cwd: process.cwd(), workspace });
      if (opts.json === true) printJson({ ok: true, file, as: kind, digest: resolved.digest, locked: resolved.locked });
      else process.stdout.write(`${file}: a valid ${kind} config (policy digest ${resolved.digest}${resolved.locked.length > 0 ? `; locks ${resolved.locked.join(', ')}` : ''})\n`);
    });
  policy
    .command('schema')
    .description('Print the JSON Schema of a config file.')
    .action(async () => {
      const { layerJsonSchema } = await import('../../policy/schema.js');
      printJson(layerJsonSchema());
    });
}
