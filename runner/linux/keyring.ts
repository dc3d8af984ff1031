/**
 * The session's kernel keyring: the runner joins a fresh, anonymous session keyring in its
 * root phase, before the uid drop. Without it the session would keep the caller's session
 * keyring — sudo passes it on, and so does setresuid — whose keys (tokens a real user's
 * tool keeps there) it could read, and into which it could plant keys the caller's later
 * processes would find. Credentials are per thread: this runs on the main thread, the one
 * commands are forked from. The seccomp filter (seccomp-program.ts) then refuses keyctl
 * altogether inside the session; this step is what holds if that filter is not installed.
 */
import { check, libcFunction } from '../../os/linux/libc.js';

const SYS_keyctl: Record<string, number> = { x64: 250, arm64: 219 };
const KEYCTL_JOIN_SESSION_KEYRING = 1;

const syscall = libcFunction('long syscall(long number, ...)');

/** Join a new anonymous session keyring; returns its serial number. */
export function joinFreshSessionKeyring(arch: string): number {
  const nr = SYS_keyctl[arch];
  if (nr === undefined) throw new Error(`keyctl: no syscall number for ${arch}`);
  return check(syscall(nr, 'int', KEYCTL_JOIN_SESSION_KEYRING, 'void *', null), 'keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)');
}
