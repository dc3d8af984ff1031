/**
 * `corral setup` ends the reuse of sessions kept before it, also when it changed nothing: it
 * touches the state file (new mtime and ctime, same bytes), which is part of every session key
 * (key.ts) and of the identity each session host checks at every connection (host-main.ts), so
 * the next `corral run` starts a fresh session and the old hosts end at their next use or idle
 * out. Teardown removes the state file, which does the same. Root runs it; a missing state file
 * is nothing to do.
 */
import { readFileSync, utimesSync } from 'node:fs';
import type { Installation } from '../../core/installation.js';
import { stateFile } from '../session/provisioned.js';
import type { SocketOwner } from './paths.js';

/**
 * Root, before setup or teardown changes anything: stop the kept sessions of every user the
 * state records (their runners are processes of the identities; stop.ts). Never throws: a host
 * it cannot reach ends at its next use (the state file moved) or idles out.
 */
export async function stopKeptSessions(installation: Installation): Promise<number> {
  if (installation.platform !== 'linux') return 0;
  let names: string[];
  try {
    names = Object.keys((JSON.parse(readFileSync(stateFile(installation), 'utf8')) as { users?: Record<string, unknown> }).users ?? {});
  } catch {
    return 0;
  }
  const { lookupUser } = await import('../provision/linux/real-user.js');
  const owners: SocketOwner[] = [];
  for (const name of names) {
    try {
      const e = lookupUser(name);
      if (e !== null && e.uid !== 0) owners.push({ uid: e.uid, home: e.home });
    } catch {
      // no getent: nothing to find
    }
  }
  const { stopAllKept } = await import('./stop.js');
  return stopAllKept(installation.name, owners);
}

export function endSessionReuse(installation: Installation): void {
  if (installation.platform !== 'linux') return;
  const now = new Date();
  try {
    utimesSync(stateFile(installation), now, now);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
