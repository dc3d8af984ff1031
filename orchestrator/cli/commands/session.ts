/**
 * `corral session list [--json]` and `corral session stop [KEY...] [--all] [--json]`: the kept
 * sessions of the calling real user in this installation (session-host/). A KEY may be given by
 * any unique prefix (list prints 12 digits). Stopping kills what still runs in the session (its
 * `corral run` gets an error) and ends its runner. Socket files nothing answers on (a host killed
 * with -9) are listed as stale; `stop --all` removes them.
 */
import { unlinkSync } from 'node:fs';
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

async function owner() {
  const { currentPlatform } = await import('../../current-platform.js');
  const leaf = await currentPlatform();
  if (leaf.installation.platform !== 'linux') throw new CorralError('platform_unsupported', 'kept sessions are Linux only: on Windows every corral run starts a fresh session');
  const user = await leaf.currentRealUser();
  if (user.uid === undefined) throw new CorralError('internal', 'the real user has no uid');
  return { installation: leaf.installation, owner: { uid: user.uid, home: user.home }, user: user.name };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

export function registerSession(program: Command, setExit: SetExit): void {
  const session = program.command('session').description('Show or end the kept sessions `corral run` reuses (session.idleSec).');
  session
    .command('list')
    .description('List your kept sessions in this installation: key, session id, workspace, network, commands run, idle time left.')
    .option('--json', 'one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { installation, owner: o } = await owner();
      const { listKept } = await import('../../session-host/stop.js');
      const kept = await listKept(o, installation.name);
      if (opts.json === true) {
        printJson({
          ok: true,
          sessions: kept.map((k) => (k.facts === null ? { socket: k.socket, state: 'stale', reason: k.stale } : { socket: k.socket, state: 'live', ...k.facts })),
        });
        return;
      }
      if (kept.length === 0) {
        process.stdout.write('no kept sessions\n');
        return;
      }
      const now = Date.now();
      for (const k of kept) {
        if (k.facts === null) {
          process.stdout.write(`${k.socket}  stale (${k.stale ?? 'no answer'}); \`corral session stop --all\` removes it\n`);
          continue;
        }
        const f = k.facts;
        const idle = f.running > 0 ? 'running' : f.kept ? `stops in ${ago(f.lastUsedAt + f.idleSec * 1000 - now)}` : 'one command';
        process.stdout.write(`${f.key.slice(0, 12)}  session ${f.id}  ${f.workspace}  ${f.network}  ${f.commands} commands  ${idle}  (host pid ${f.hostPid}, up ${ago(now - f.startedAt)})\n`);
      }
    });
  session
    .command('stop')
    .description('End kept sessions: those whose key starts with KEY, or --all (also removes stale socket files).')
    .argument('[key...]', 'session keys or unique prefixes (from `corral session list`)')
    .option('--all', 'every kept session of yours in this installation')
    .option('--json', 'one JSON document')
    .action(async (keys: string[], opts: { all?: boolean; json?: boolean }) => {
      if ((keys.length === 0) === (opts.all !== true)) throw new CorralError('usage', 'corral session stop takes KEY... or --all');
      const { installation, owner: o } = await owner();
      const { listKept, stopKept } = await import('../../session-host/stop.js');
      const kept = await listKept(o, installation.name);
      const chosen =
        opts.all === true
          ? kept
          : keys.map((key) => {
              const matches = kept.filter((k) => k.facts !== null && k.facts.key.startsWith(key));
              if (matches.length !== 1) throw new CorralError('usage', `${JSON.stringify(key)} names ${matches.length === 0 ? 'no kept session' : `${matches.length} kept sessions`} (see corral session list)`);
              return matches[0]!;
            });
      const stopped: string[] = [];
      const removed: string[] = [];
      for (const k of chosen) {
        if (k.facts !== null) {
          if (await stopKept(k.socket)) stopped.push(k.facts.key);
        } else if (opts.all === true) {
          try {
            unlinkSync(k.socket);
            removed.push(k.socket);
          } catch {
            // gone already
          }
        }
      }
      if (opts.json === true) printJson({ ok: true, stopped, removed });
      else {
        for (const key of stopped) process.stdout.write(`stopped ${key.slice(0, 12)}\n`);
        for (const file of removed) process.stdout.write(`removed stale ${file}\n`);
        if (stopped.length === 0 && removed.length === 0) process.stdout.write('no kept sessions\n');
      }
      setExit(0);
    });
}
