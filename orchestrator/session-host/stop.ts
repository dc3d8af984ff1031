/**
 * Ending kept sessions: `corral session stop` (as the user) and `corral setup` / `corral teardown`
 * (as root, for every provisioned user, before they change anything: a kept session's runner is
 * a process of the identity, which teardown deletes and --remove-workspace refuses to touch).
 *
 * A host is asked to stop on its socket (it closes its session: the runner kills what runs and
 * cleans up, the clients of running commands get an error) and is waited for until the
 * connection closes. Setup and teardown ask only idle hosts (`ifIdle`): a command that runs is
 * never killed by them; it is a live session, which --remove-workspace refuses as before. Root talks only to sockets that pass paths.ts's checks — a socket of the
 * user's in directories of the user's, 0700, reached without following a link at the last two
 * levels — i.e. to the user's own processes; the host admits root (host.ts).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { encode, FrameDecoder } from './wire.js';
import { connectHost } from './remote.js';
import { checkedSocket, checkedSocketDir, type SocketOwner } from './paths.js';
import type { SessionFacts } from './wire.js';

export interface KeptSocket {
  socket: string;
  facts: SessionFacts | null;
  /** Why nothing answered (stale), when facts is null. */
  stale?: string;
}

/** The sockets in the owner's socket directory, each with its host's facts (or why none). */
export async function listKept(owner: SocketOwner, instance: string, env: NodeJS.ProcessEnv = process.env): Promise<KeptSocket[]> {
  const dir = checkedSocketDir(owner, instance, false, env);
  if (dir === null) return [];
  const out: KeptSocket[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.sock')).sort()) {
    const file = path.join(dir, name);
    try {
      if (checkedSocket(file, owner.uid) === null) continue;
    } catch (err) {
      out.push({ socket: file, facts: null, stale: (err as Error).message });
      continue;
    }
    const outcome = await connectHost(file, 5_000, true);
    if ('none' in outcome) out.push({ socket: file, facts: null, stale: outcome.none });
    else {
      outcome.socket.destroy();
      out.push({ socket: file, facts: outcome.session });
    }
  }
  return out;
}

/**
 * Ask the host at `file` to stop (`ifIdle`: only when no command runs); resolves when it closed
 * the connection after saying it stops (true), or refused or did not answer (false).
 */
export async function stopKept(file: string, timeoutMs = 15_000, ifIdle = false): Promise<boolean> {
  const outcome = await connectHost(file, 5_000);
  if ('none' in outcome) return false;
  const { socket } = outcome;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    let stopping = false;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) if ((f as { type?: string }).type === 'stopping') stopping = true;
      } catch {
        socket.destroy();
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(stopping);
    });
    socket.on('error', () => undefined);
    socket.write(encode(ifIdle ? { type: 'stop', ifIdle: true } : { type: 'stop' }));
  });
}

/** Root: stop every idle kept session of these users (each host's socket in the places paths.ts names); one running a command is left to meet setup as a live session. Never throws. */
export async function stopAllKept(instance: string, owners: readonly SocketOwner[]): Promise<number> {
  let stopped = 0;
  for (const owner of owners) {
    let kept: KeptSocket[];
    try {
      // Root never follows an environment's XDG_RUNTIME_DIR (paths.ts): /run/user/<uid> or the home.
      kept = await listKept(owner, instance, {});
    } catch {
      continue;
    }
    for (const k of kept) if (k.facts !== null && (await stopKept(k.socket, 15_000, true))) stopped += 1;
  }
  return stopped;
}
