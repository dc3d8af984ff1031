/**
 * `corral setup [--user NAME] [--workspace DIR]... [--network offline|online] [--proxy-port PORT] [--yes] [--dry-run] [--json]`
 * `corral setup --remove-workspace DIR [--user NAME] [--yes] [--dry-run] [--json]` (remove-workspace.ts)
 *
 * Plans what this machine needs for the real user and applies it, journaled. On a
 * terminal without --yes it is the guided setup (setup-wizard.ts); elsewhere it needs
 * --yes to change anything. --dry-run prints the exact commands and changes nothing.
 */
import { networkIdentity } from '../../../core/vocabulary.js';
import { DEFAULT_WINDOWS_PROXY_PORT, MAX_PROXY_PORT, MIN_PROXY_PORT, parseProxyPort } from '../../../core/proxy/port.js';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { type Provisioner, type SetupRequest } from '../../platform.js';
import { currentPlatform } from '../../current-platform.js';
import type { Network } from '../../policy/schema.js';
import { collect, flagsLayer } from '../flags.js';
import { outputMode, printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

interface SetupOptions {
  user?: string;
  /** Absent when no --workspace was given (commander shows a default value in --help, and [] is not one). */
  workspace?: string[];
  network?: string;
  proxyPort?: string;
  yes?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
  json?: boolean;
  removeWorkspace?: string;
}


/** The command line to suggest when elevation is needed (relative paths made absolute). */
function invocation(opts: SetupOptions, cwd: string): string[] {
  const out = ['setup'];
  if (opts.user !== undefined) out.push('--user', opts.user);
  for (const w of opts.workspace ?? []) out.push('--workspace', path.resolve(cwd, w));
  if (opts.network !== undefined) out.push('--network', opts.network);
  if (opts.proxyPort !== undefined) out.push('--proxy-port', opts.proxyPort);
  if (opts.yes === true) out.push('--yes');
  if (opts.dryRun === true) out.push('--dry-run');
  if (opts.verbose === true) out.push('--verbose');
  if (opts.json === true) out.push('--json');
  return out;
}

/** Each workspace: an existing directory, in canonical form (symlinks resolved). */
export function canonicalWorkspaces(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of list) {
    let real: string;
    try {
      real = realpathSync(w);
    } catch (err) {
      throw new CorralError('workspace_invalid', `workspace ${w} does not exist (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
        details: { workspace: w },
      });
    }
    if (!statSync(real).isDirectory()) {
      throw new CorralError('workspace_invalid', `workspace ${w} is not a directory`, { details: { workspace: w } });
    }
    if (!out.includes(real)) out.push(real);
  }
  return out;
}

async function buildRequest(prov: Provisioner, user: string | undefined, workspaces: string[], network: string | undefined): Promise<SetupRequest> {
  const cwd = process.cwd();
  const first = workspaces.length > 0 ? path.resolve(cwd, workspaces[0]!) : cwd;
  const realUser = await prov.resolveRealUser(user, { workspace: first });
  const flags = flagsLayer({ workspace: workspaces.length > 0 ? workspaces : undefined, network }, cwd);
  // Loaded here, not at the top: the schema library it brings costs every other command's start-up.
  const { loadPolicy } = await import('../../policy/load.js');
  const policy = loadPolicy({ installation: prov.installation, home: realUser.home, cwd, workspace: first, flags });
  return { realUser, workspaces: canonicalWorkspaces(policy.policy.workspaces), network: networkIdentity(policy.policy.network), policy };
}

/**
 * The guided setup's checks of each answer, as it is given: the user exists; each workspace
 * exists, is a directory, and (where the platform has uids) is owned by that user — the
 * same refusals planning would make later, met at the question instead.
 */
function answerChecks(prov: Provisioner) {
  const reason = (err: unknown) => (err instanceof CorralError ? err.message : (err as Error).message);
  return {
    async user(name: string): Promise<string | true> {
      try {
        await prov.resolveRealUser(name);
        return true;
      } catch (err) {
        return reason(err);
      }
    },
    async workspaces(list: string[], user: string): Promise<string | true> {
      if (list.length === 0) return 'name at least one directory';
      try {
        const realUser = await prov.resolveRealUser(user);
        for (const ws of canonicalWorkspaces(list.map((w) => path.resolve(process.cwd(), w)))) {
          const uid = statSync(ws).uid;
          if (realUser.uid !== undefined && uid !== realUser.uid) {
            const { describeUid } = await import('../../../os/linux/passwd.js');
            return `${ws} is owned by ${describeUid(uid)}, not by ${realUser.name}: a workspace must belong to the user it is for`;
          }
        }
        return true;
      } catch (err) {
        return reason(err);
      }
    },
  };
}

/** The closing "what now" of setup: log in again, try it, what stays read-only. */
function nextInfo(prov: Provisioner, request: SetupRequest, joined: boolean) {
  return { realUser: request.realUser.name, userGroup: prov.installation.userGroup, workspaces: request.workspaces, protectedNames: request.policy.policy.protected, joined };
}

export function registerSetup(program: Command, setExit: SetExit): void {
  program
    .command('setup')
    .description('Provision sandbox identities, firewall rules, the runner and workspace grants for a real user; with --remove-workspace, take one workspace back.')
    .option('--user <name>', 'real user the sandbox is for (default: SUDO_USER, else the owner of the workspace when that is not root, else the caller)')
    .option('--workspace <dir>', 'workspace to provision (repeatable; default: the current directory)', collect)
    .option('--network <offline|online>', 'network default for the user\'s sessions')
    .option(
      '--proxy-port <port>',
      `Windows: the loopback TCP port of the allowlist proxy (${MIN_PROXY_PORT}-${MAX_PROXY_PORT}), which the offline identity's firewall rules admit and nothing else on loopback; one per machine, one allowlist session at a time holds it (default: the port an earlier setup chose, else ${DEFAULT_WINDOWS_PROXY_PORT})`,
    )
    .option('--yes', 'apply without asking')
    .option('--dry-run', 'print the plan with its exact commands and change nothing (needs no root on Linux: what only root can read is assumed missing, and the plan says so)')
    .option('--verbose', 'show the exact commands under each step of the plan (the guided setup shows a readable list)')
    .option('--json', 'one JSON document')
    .option(
      '--remove-workspace <dir>',
      'take back what setup did for one workspace of the user (its ACL grants, traverse entries no other workspace needs, the identities\' homes (Windows: profile folders) for it, its state record); everything else stays. Refused while a session of the user runs',
    )
    .action(async (opts: SetupOptions) => {
      if (opts.removeWorkspace !== undefined) {
        if (opts.workspace !== undefined || opts.network !== undefined || opts.proxyPort !== undefined) {
          throw new CorralError('usage', '--remove-workspace takes no --workspace, --network or --proxy-port: it removes one workspace and changes nothing else');
        }
        const { removeWorkspace } = await import('./remove-workspace.js');
        return removeWorkspace({ ...opts, removeWorkspace: opts.removeWorkspace }, setExit);
      }
      // Loaded when the command runs: every module imported at the top costs every command's start-up.
      const [{ applyPlan }, { askSetup, confirm, introText }, { nextStepsText, planDocument, planText, resultText }] = await Promise.all([
        import('../../apply-plan.js'),
        import('../../setup-wizard.js'),
        import('../plan-output.js'),
      ]);
      const mode = outputMode(opts);
      const proxyPort = opts.proxyPort === undefined ? undefined : parseProxyPort(opts.proxyPort);
      const leaf = await currentPlatform();
      if (proxyPort !== undefined && leaf.name !== 'windows') {
        throw new CorralError('usage', '--proxy-port is for Windows: on Linux the allowlist proxy listens inside each session\'s own network namespace, where no port needs choosing');
      }
      const prov = await leaf.createProvisioner();
      let unlock: (() => void) | undefined;
      try {
        await prov.checkPrerequisites(invocation(opts, process.cwd()), { dryRun: opts.dryRun === true });
        const guided = mode === 'tty' && opts.yes !== true && opts.dryRun !== true && process.stdin.isTTY === true;
        let request: SetupRequest;
        if (guided) {
          const first = await buildRequest(prov, opts.user, opts.workspace ?? [], opts.network);
          const answers = await askSetup(
            { user: first.realUser.name, workspaces: first.workspaces, network: first.network },
            answerChecks(prov),
            process.stdout,
            introText(prov.installation),
          );
          request = await buildRequest(prov, answers.user, answers.workspaces, answers.network satisfies Network);
        } else {
          request = await buildRequest(prov, opts.user, opts.workspace ?? [], opts.network);
        }
        if (proxyPort !== undefined) request = { ...request, proxyPort };
        // Planned and applied under the installation's lock: a concurrent setup or teardown
        // waits, then plans from what this one left; their journal records never interleave.
        if (opts.dryRun !== true) {
          unlock = await prov.lock?.('setup');
          // Kept sessions end before anything changes (their runners are the identities' processes).
          await (await import('../../session-host/end-reuse.js')).stopKeptSessions(prov.installation);
        }
        const plan = await prov.planSetup(request);
        if (opts.dryRun === true) {
          if (mode === 'json') printJson({ ok: true, dryRun: true, realUser: request.realUser.name, workspaces: request.workspaces, ...planDocument(plan) });
          else process.stdout.write(planText(plan, { showUnchanged: true, commands: true, realUser: request.realUser.name }));
          return;
        }
        const commands = opts.verbose === true || !guided;
        if (plan.steps.length === 0) {
          (await import('../../session-host/end-reuse.js')).endSessionReuse(prov.installation);
          if (mode === 'json') printJson({ ok: true, changed: false, realUser: request.realUser.name, ...planDocument(plan) });
          else {
            process.stdout.write(planText(plan, { showUnchanged: guided, commands, realUser: request.realUser.name }));
            if (guided) process.stdout.write(nextStepsText(nextInfo(prov, request, false)));
          }
          return;
        }
        if (opts.yes !== true) {
          if (mode === 'json' || !guided) {
            if (mode !== 'json') process.stdout.write(planText(plan, { showUnchanged: false, commands, realUser: request.realUser.name }));
            throw new CorralError('usage', 'setup changes the machine; pass --yes to apply without the guided setup (it runs only on a terminal)');
          }
          process.stdout.write(planText(plan, { showUnchanged: true, commands, realUser: request.realUser.name }));
          if (!(await confirm('Apply this plan?'))) throw new CorralError('cancelled', 'setup not applied; nothing was changed');
        }
        await prov.preflightApply?.();
        const result = await applyPlan(plan, prov.journal, mode);
        (await import('../../session-host/end-reuse.js')).endSessionReuse(prov.installation);
        if (mode === 'json') printJson({ ...result, changed: true, realUser: request.realUser.name });
        else {
          process.stdout.write(resultText(result));
          for (const w of plan.warnings) process.stdout.write(`warning: ${w}\n`);
          process.stdout.write(nextStepsText(nextInfo(prov, request, plan.steps.some((s) => s.id.startsWith('member:')))));
        }
        setExit(0);
      } finally {
        unlock?.();
        await prov.close();
      }
    });
}
