/**
 * Starting a session host (host-main.ts) for a key: a detached process of the real user (its own
 * session and process group, no terminal, stdio closed but for one pipe on which it says once
 * where it listens or why it could not), which this client then connects to.
 *
 * As the real user, the host is simply this Node running host-main.js. As root acting for a user
 * (`sudo corral run`), it is started through setpriv with the user's uid, gid and groups (the
 * group database's, as a login would have them: the sudo rule admits the user by group) and the
 * user's HOME, USER and LOGNAME; root's own pointers (XDG_*, GIT_CONFIG_*) are dropped, as
 * git-identity.ts and audit/path.ts drop them for root. Never as root, never as the identity.
 *
 * The spec (key, flags, cwd) travels in one environment variable, which the host deletes before
 * anything else; commands never see it (they get each client's environment, filtered).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { HOST_MAIN, type SessionFlags } from './key.js';
import type { KeyedTarget } from './target.js';

export const SPEC_VARIABLE = 'CORRAL_SESSION_HOST_SPEC';
/** The host's answer comes after its session opened: the runner's start, up to openSession's own limits. */
const READY_TIMEOUT_MS = 120_000;
const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];

export interface HostSpec {
  key: string;
  flags: SessionFlags;
  cwd: string;
  /** The uid of the `corral run` that started the host (root, or the user): the key is computed as it did. */
  spawnerUid: number;
}

export type HostReply = { ok: true; socket: string } | { ok: false; error: { code: string; message: string } };

const ROOT_ONLY_VARIABLES = ['XDG_RUNTIME_DIR', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_SYSTEM', 'HOME', 'USER', 'LOGNAME', 'MAIL'];

/** The program, arguments and environment of the host for `target` (pure but for the setpriv lookup). */
export function hostCommand(target: KeyedTarget, spec: HostSpec, ownUid: number, env: NodeJS.ProcessEnv = process.env): { file: string; args: string[]; env: Record<string, string> } | null {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  base[SPEC_VARIABLE] = Buffer.from(JSON.stringify(spec)).toString('base64');
  if (ownUid === target.user.uid) return { file: process.execPath, args: [HOST_MAIN], env: base };
  if (ownUid !== 0) return null;
  const setpriv = SETPRIV_CANDIDATES.find((p) => existsSync(p));
  if (setpriv === undefined) return null;
  for (const name of ROOT_ONLY_VARIABLES) delete base[name];
  for (const name of Object.keys(base)) if (name.startsWith('SUDO_')) delete base[name];
  Object.assign(base, { HOME: target.user.home, USER: target.user.name, LOGNAME: target.user.name });
  const gid = target.user.gid ?? target.user.uid;
  return {
    file: setpriv,
    args: [`--reuid=${target.user.uid}`, `--regid=${gid}`, '--init-groups', '--', process.execPath, HOST_MAIN],
    env: base,
  };
}

/** Start a host for `target`; resolves with the socket it serves on, or null when it could not start one. */
export function startHost(target: KeyedTarget, flags: SessionFlags): Promise<string | null> {
  const cmd = hostCommand(target, { key: target.key, flags, cwd: process.cwd(), spawnerUid: process.getuid!() }, process.getuid!());
  if (cmd === null) return Promise.resolve(null);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd.file, cmd.args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'], cwd: '/', env: cmd.env });
    } catch {
      resolve(null);
      return;
    }
    const pipe = child.stdio[3] as Readable;
    let text = '';
    let done = false;
    const finish = (socket: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pipe.destroy();
      child.unref();
      resolve(socket);
    };
    const timer = setTimeout(() => finish(null), READY_TIMEOUT_MS);
    child.once('error', () => finish(null));
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      try {
        const reply = JSON.parse(text.slice(0, nl)) as HostReply;
        finish(reply.ok && typeof reply.socket === 'string' ? reply.socket : null);
      } catch {
        finish(null);
      }
    });
    pipe.once('close', () => finish(null));
    pipe.once('error', () => finish(null));
  });
}
