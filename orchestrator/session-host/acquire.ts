/**
 * The session a `corral run` runs in: the kept session for its key when one is live, else a new
 * kept session (a session host started for it, spawn.ts), else — --fresh, Windows, root as its
 * own real user, idleSec 0 handled by the host, or anything of the reuse machinery failing — a
 * fresh session in this process, exactly as before reuse (openSession). Reuse never changes what
 * a command may do: a kept session is the one openSession would open for the same key (key.ts).
 *
 * Errors: anything that goes wrong on the way to a kept session falls back to the fresh session,
 * which then reports the real problem (not provisioned, bad config, …) with its own message and
 * exit code. The one exception is an unsafe socket directory or socket (paths.ts): said once as
 * a warning, since someone may be attacking it, and then the fresh session.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Installation } from '../../core/installation.js';
import { layerFiles } from '../policy/files.js';
import { isCorralError } from '../../core/errors.js';
import type { KeyedTarget } from './target.js';
import type { Session, SessionOptions } from '../session/types.js';
import { layersEnvAllow, sessionKey, type SessionFlags } from './key.js';
import { checkedSocket, checkedSocketDir, MAX_SOCKET_PATH, socketDir, socketPath } from './paths.js';
import { connectHost } from './remote.js';

export interface AcquireExtras {
  onWarning?: (message: string) => void;
}

let reuseOff: string | null = null;

/** The umask, read without changing it for more than the two calls. */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

/** Turn reuse off for the rest of this process (the fast path tried and fell back). */
export function disableReuse(reason: string): void {
  reuseOff = reason;
}

export type { KeyedTarget };

/**
 * The key and socket path for `flags` run from `cwd`, or the reason there is none (not Linux, no
 * uid, root as its own real user, a socket path too long). Throws what openSession would throw
 * for the workspace (the caller falls back to it). `spawnerUid`: a host (running as the user)
 * computing the key of the `corral run` that started it, which may have been root's.
 */
export async function keyedTarget(flags: SessionFlags, cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env, spawnerUid?: number): Promise<KeyedTarget | string> {
  if (process.platform !== 'linux') return 'reusable sessions are Linux only';
  const [{ currentPlatform }, { canonicalDirectory }, { defaultWorkspace }] = await Promise.all([
    import('../current-platform.js'),
    import('../session/request.js'),
    import('../session/provisioned.js'),
  ]);
  const leaf = await currentPlatform();
  const user = await leaf.currentRealUser();
  // A host computes the key as its spawner did (root for the user: root's view, below).
  const ownUid = spawnerUid ?? process.getuid?.();
  if (user.uid === undefined || ownUid === undefined) return 'no uid';
  // The host is a process of the real user, never root: root running for itself gets fresh sessions.
  if (user.uid === 0) return 'the real user is root';
  if (ownUid !== 0 && ownUid !== user.uid) return 'this process is neither the real user nor root';
  let workspace = canonicalDirectory(path.resolve(cwd, flags.workspace ?? cwd), 'workspace');
  if (flags.workspace === undefined) workspace = defaultWorkspace(leaf.provisioned(user), workspace);
  // The default keeps no session (policy/defaults.ts DEFAULT_SESSION_IDLE_SEC): unless a layer file
  // names session.idleSec, the resolved value is 0, and the command runs in a fresh session in this
  // process exactly as before reuse — no host. A layer that names it (even to say 0) goes to a host,
  // which resolves the policy properly and keeps the session or serves one command.
  if (!layerMentionsIdleSec(leaf.installation, user.home, workspace)) return 'session.idleSec is 0 (the default): no session is kept';
  // Root acting for the user reads none of its own XDG_*/GIT_CONFIG_* (git-identity.ts, audit/path.ts).
  const key = sessionKey({ installation: leaf.installation, user: { ...user, uid: user.uid }, workspace, flags, env: ownUid === user.uid ? env : {}, umask: currentUmask(), ...(ownUid === user.uid ? { groups: process.getgroups?.() ?? [] } : {}) });
  const dir = socketDir({ uid: user.uid, home: user.home }, leaf.installation.name, env, ownUid);
  const socket = socketPath(dir, key);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) return `the socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes`;
  return { installation: leaf.installation, user: { ...user, uid: user.uid }, workspace, key, dir, socket, envAllow: layersEnvAllow(leaf.installation, user.home, workspace) };
}

/** Whether a config layer the resolver reads names `idleSec` (its raw bytes; unreadable: no). */
function layerMentionsIdleSec(installation: Installation, home: string, workspace: string): boolean {
  return layerFiles({ installation, home, cwd: workspace, workspace }).some(({ file }) => {
    try {
      return readFileSync(file).includes('idleSec');
    } catch {
      return false;
    }
  });
}

/** The live kept session of `target`, or null (none, stale, refused). Throws session_unsafe. */
export async function liveSession(target: KeyedTarget): Promise<Session | null> {
  const dir = checkedSocketDir({ uid: target.user.uid, home: target.user.home }, target.installation.name, false);
  if (dir === null) return null;
  if (checkedSocket(target.socket, target.user.uid) === null) return null;
  return remoteAt(target.socket, target.key, target.envAllow);
}

async function remoteAt(file: string, key: string, envAllow: readonly string[]): Promise<Session | null> {
  const outcome = await connectHost(file);
  if ('none' in outcome) return null;
  if (outcome.session.key !== key) {
    outcome.socket.destroy();
    return null;
  }
  const { RemoteSession } = await import('./remote.js');
  return new RemoteSession(outcome.session, file, outcome.socket, envAllow);
}

/** The kept session of `target`: the live one, else one a new host opens. Null when reuse cannot be had. */
export async function keptSession(target: KeyedTarget, flags: SessionFlags): Promise<Session | null> {
  const live = await liveSession(target);
  if (live !== null) return live;
  const { startHost } = await import('./spawn.js');
  const started = await startHost(target, flags);
  // Only a socket of the user's in the directory checked above (the host chose it).
  if (started === null || path.dirname(started) !== target.dir || checkedSocket(started, target.user.uid) === null) return null;
  return remoteAt(started, target.key, target.envAllow);
}

export async function acquireSession(options: SessionOptions, flags: SessionFlags & { fresh?: boolean }, extras: AcquireExtras = {}): Promise<Session> {
  // --publish: never kept (host.ts/host-main.ts: its listeners would outlive the run), so not tried.
  if (flags.fresh !== true && flags.publish === undefined && reuseOff === null) {
    try {
      const target = await keyedTarget(flags);
      if (typeof target !== 'string') {
        const session = await keptSession(target, flags);
        if (session !== null) {
          for (const w of session.warnings) extras.onWarning?.(w);
          return session;
        }
      }
    } catch (err) {
      if (isCorralError(err, 'session_unsafe')) extras.onWarning?.(err.message);
      // Anything else: the fresh session below meets the same problem and reports it properly.
    }
  }
  const { openSession } = await import('../session/open.js');
  return openSession({ ...options, ...(extras.onWarning !== undefined ? { onWarning: extras.onWarning } : {}) });
}
