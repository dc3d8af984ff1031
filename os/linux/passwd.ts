/**
 * The passwd and group databases through glibc (NSS included), without a getent process.
 * Used in two processes: the runner's root phase (before any command exists: mapping
 * SUDO_UID to the real user and its identities) and the unprivileged client (`corral run`,
 * the library: the caller's own entry). Reads only; the answers are facts, never trust.
 */
import { koffi, lastErrno, libcFunction, LibcError } from './libc.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

let passwdType: ReturnType<typeof koffi.struct> | undefined;
function passwdStruct(): ReturnType<typeof koffi.struct> {
  passwdType ??= koffi.struct('corral_passwd', {
    pw_name: 'char *',
    pw_passwd: 'char *',
    pw_uid: 'uint32_t',
    pw_gid: 'uint32_t',
    pw_gecos: 'char *',
    pw_dir: 'char *',
    pw_shell: 'char *',
  });
  return passwdType;
}

const getpwnam = libcFunction('void *getpwnam(const char *name)');
const getpwuid = libcFunction('void *getpwuid(uint32_t uid)');

function decode(pointer: unknown, call: string, errnoBefore: number): PasswdEntry | null {
  if (pointer === null) {
    const errno = lastErrno();
    // NULL with errno unchanged (or ENOENT/ESRCH…) means "no such entry".
    if (errno === 0 || errno === errnoBefore || errno === 2 || errno === 3) return null;
    throw new LibcError(call, errno);
  }
  const p = koffi.decode(pointer, passwdStruct()) as { pw_name: string; pw_uid: number; pw_gid: number; pw_dir: string; pw_shell: string };
  return { name: p.pw_name, uid: p.pw_uid, gid: p.pw_gid, home: p.pw_dir, shell: p.pw_shell };
}

export function userByName(name: string): PasswdEntry | null {
  koffi.errno(0);
  return decode(getpwnam(name), `getpwnam(${name})`, 0);
}

export function userById(uid: number): PasswdEntry | null {
  koffi.errno(0);
  return decode(getpwuid(uid), `getpwuid(${uid})`, 0);
}

/** "alice (uid 1000)" for messages, or "uid 1000" when no account has that uid. */
export function describeUid(uid: number): string {
  const entry = userById(uid);
  return entry === null ? `uid ${uid}` : `${entry.name} (uid ${uid})`;
}
