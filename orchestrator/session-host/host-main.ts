/**
 * The session host process (spawn.ts starts it, detached, as the real user): opens the session
 * `corral run` would open for the spec's flags, and serves it on `<dir>/<key>.sock` (host.ts).
 *
 * Order:
 *  1. Read and delete the spec.
 *  2. The runner is started first (early-run.ts), so its start-up overlaps this one's.
 *  3. The socket directory is made and checked (paths.ts), and `<key>.lock` is flock'ed: hosts
 *     for one key are serialised from here until the socket is in place. Holding it, a live host
 *     already at `<key>.sock` (one that answers hello with the key) means there is nothing to do:
 *     the spawner is told to connect there, and this host ends having opened nothing — so racing
 *     `corral run`s end with one session. A socket file nobody answers on is stale: removed.
 *  4. openSession, in the spawner's directory; the key is computed again here before and after,
 *     and a host whose inputs moved under it serves its spawner's one command and keeps nothing.
 *  5. listen (under umask 077 only while the socket is made), chmod 0600, unlock, answer the spawner ({ok, socket} or {ok: false, error}) on fd 3.
 * The socket file is removed when the host ends, if it is still this host's (same inode), under
 * the lock; a host killed with -9 leaves it, and step 3 of the next host removes it.
 */
import { closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { CorralError, isCorralError } from '../../core/errors.js';
import { SessionImpl } from '../session/session.js';
import { stateFile } from '../session/provisioned.js';
import { lastErrno, libcFunction } from '../../os/linux/libc.js';
import { peerCredentials } from '../../os/linux/peer-cred.js';
import { SessionHost } from './host.js';
import { checkedSocket, checkedSocketDir, lockPath, socketPath } from './paths.js';
import { SPEC_VARIABLE, type HostReply, type HostSpec } from './spawn.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const LOCK_WAIT_MS = 120_000;
const flock = libcFunction('int flock(int fd, int operation)');
const REPLY_FD = 3;

function reply(message: HostReply): void {
  try {
    writeSync(REPLY_FD, `${JSON.stringify(message)}\n`);
    closeSync(REPLY_FD);
  } catch {
    // The spawner went away: it will start a fresh session itself.
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lock(file: string): Promise<number> {
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  for (const started = Date.now(); ; ) {
    if (Number(flock(fd, LOCK_EX | LOCK_NB)) === 0) return fd;
    const errno = lastErrno();
    if (errno !== EWOULDBLOCK && errno !== 4) throw new CorralError('internal', `flock(${file}) failed: errno ${errno}`);
    if (Date.now() - started > LOCK_WAIT_MS) throw new CorralError('internal', `${file} stayed locked for ${LOCK_WAIT_MS} ms`);
    await sleep(10);
  }
}

/** The identity of the installation's state file and runner: what setup and teardown change. */
export function installationIdentity(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const st = lstatSync(f);
        return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code ?? 'error';
      }
    })
    .join('|');
}

function listen(server: Server, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function peerUid(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return peerCredentials(fd).uid;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const raw = process.env[SPEC_VARIABLE];
  delete process.env[SPEC_VARIABLE];
  if (raw === undefined) throw new CorralError('usage', 'the session host is started by corral run, not by hand');
  const spec = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as HostSpec;
  const stopEarly = await (await import('../cli/early-run.js')).startRunnerEarly(['run']);
  const { keyedTarget } = await import('./acquire.js');
  const spawnerUid = spec.spawnerUid === 0 ? 0 : process.getuid!();
  const target = await keyedTarget(spec.flags, spec.cwd, process.env, spawnerUid);
  if (typeof target === 'string') throw new CorralError('internal', target);
  const uid = target.user.uid;
  if (process.getuid!() !== uid) throw new CorralError('internal', 'the session host runs as the real user only');
  const dir = checkedSocketDir({ uid, home: target.user.home }, target.installation.name, true)!;
  const lockFd = await lock(lockPath(dir, spec.key));
  let unlocked = false;
  const unlock = () => {
    if (!unlocked) closeSync(lockFd);
    unlocked = true;
  };
  const file = socketPath(dir, spec.key);
  try {
    if (checkedSocket(file, uid) !== null) {
      const { connectHost } = await import('./remote.js');
      const outcome = await connectHost(file, 5_000, true);
      if (!('none' in outcome) && outcome.session.key === spec.key) {
        outcome.socket.destroy();
        stopEarly();
        reply({ ok: true, socket: file });
        return;
      }
      unlinkSync(file); // stale: nothing answers there
    }
    const { sessionOptionsFrom } = await import('../cli/session-options.js');
    const { openSession } = await import('../session/open.js');
    const installationFiles = [stateFile(target.installation), target.installation.runnerEntry];
    const before = installationIdentity(installationFiles);
    process.chdir(spec.cwd);
    const session = await openSession({ ...sessionOptionsFrom(spec.flags), onWarning: () => undefined });
    process.chdir('/');
    stopEarly();
    if (!(session instanceof SessionImpl)) throw new CorralError('internal', 'openSession did not return a SessionImpl');
    const again = await keyedTarget(spec.flags, spec.cwd, process.env, spawnerUid);
    const steady = target.key === spec.key && typeof again !== 'string' && again.key === spec.key;
    // A session that publishes ports is never kept: its listeners on the host's loopback would
    // stay open after corral run returned, and no other session could publish those ports.
    const kept = steady && session.idleSec > 0 && session.published.length === 0;
    const listenOn = kept ? file : path.join(dir, `${spec.key}.${process.pid}.once.sock`);
    const server = createServer({ pauseOnConnect: false });
    // The umask only while the socket is made (in a 0700 directory anyway): the runner, and so
    // every command, keeps the spawner's umask, as in a fresh session (it is part of the key).
    const umask = process.umask(0o077);
    try {
      await listen(server, listenOn);
    } finally {
      process.umask(umask);
    }
    const { chmodSync } = await import('node:fs');
    chmodSync(listenOn, 0o600);
    const ino = lstatSync(listenOn).ino;
    unlock();
    const removeSocket = () => {
      try {
        if (lstatSync(listenOn).ino === ino) unlinkSync(listenOn);
      } catch {
        // already gone
      }
    };
    process.on('exit', removeSocket);
    const host = new SessionHost(server, {
      session,
      key: spec.key,
      idleSec: session.idleSec,
      kept,
      ownUid: uid,
      peerUid,
      installationChanged: () => (installationIdentity(installationFiles) === before ? null : 'Corral was set up again or torn down since this session started'),
      // The socket is removed only while it is still this host's (same inode): a host that
      // starts for the key after this one stopped answering has removed it and made its own.
      onEnd: () => removeSocket(),
    });
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void host.stop(`${signal} received`));
    reply({ ok: true, socket: listenOn });
    await host.done;
  } finally {
    unlock();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const e = isCorralError(err) ? err : new CorralError('internal', err instanceof Error ? err.message : String(err));
    reply({ ok: false, error: { code: e.code, message: e.message } });
    process.exit(1);
  },
);
