/**
 * The reaper: a small root process started before the runner drops its privileges, which
 * waits for the runner to go away (end of file on its stdin, a pipe only the runner holds)
 * and then, as root, kills whatever is left of the session (cgroup.kill on the session's v2
 * group), removes the session's cgroups, its temp directory and its placeholders (unless
 * another session still reserves them). It runs in the host's mount namespace and cgroup, in
 * its own session (so a Ctrl-C aimed at the client's process group does not stop it), and the
 * identity cannot signal it (different uid).
 *
 * It is /bin/sh with a fixed script; paths reach it only as arguments, never as script text.
 *
 * Cost: it runs at every session's end, and `corral run` returns only once the runner's stderr
 * is closed, which the reaper holds until the placeholders are gone (a `git init` right after
 * `corral run` must not find a reserved `.git`). So waiting uses a shell builtin, placeholders
 * go in one call per kind, and stderr is released before the cgroup and temp clean-up.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { reservationKey, reservationsDir } from './reservations.js';

const SCRIPT = String.raw`
set -u
v2=$1 pids=$2 tmp=$3 reg=$4 sid=$5 mem=$6
shift 6
# Wait for the runner to go away: end of file on stdin (it never writes). read is a builtin,
# so waiting costs no process.
while read -r _; do :; done
populated() {
  [ -r "$1/cgroup.events" ] || return 1
  while read -r key value; do
    [ "$key" = populated ] && [ "$value" = 1 ] && return 0
  done < "$1/cgroup.events"
  return 1
}
if [ -d "$v2" ]; then
  echo 1 > "$v2/cgroup.kill" 2>/dev/null
  # The runner's own exit may still be settling; poll briefly, then go on regardless.
  i=0
  while populated "$v2" && [ $i -lt 2000 ]; do sleep 0.005; i=$((i + 1)); done
fi
others() {
  for f in "$reg/$1".*; do [ -e "$f" ] && return 0; done
  return 1
}
# Placeholders of kind d (directories, removed only while empty) or f (empty files) that no
# other session reserves and that are still ours (root-owned, not symlinks), one call per kind.
remove_placeholders() {
  kind=$1
  shift
  n=$# key=
  for arg; do
    if [ -z "$key" ]; then key=$arg; continue; fi
    path=$arg k=$key key=
    others "$k" && continue
    [ -L "$path" ] && continue
    [ -O "$path" ] || continue
    case $kind in
      d) [ -d "$path" ] || continue ;;
      f) [ -f "$path" ] && [ ! -s "$path" ] || continue ;;
    esac
    set -- "$@" "$path"
  done
  shift $n
  [ $# -gt 0 ] || return 0
  case $kind in
    d) rmdir -- "$@" 2>/dev/null ;;
    f) rm -f -- "$@" ;;
  esac
  return 0
}
# First what the real user can see (placeholders in the workspace) ...
if [ $# -gt 0 ] && [ -d "$reg" ]; then
  exec 9>>"$reg/.lock"
  flock 9
  rm -f -- "$reg"/*."$sid"
  remove_placeholders d "$@"
  remove_placeholders f "$@"
  # Closing the last descriptor of the lock file releases the lock (no flock -u process).
  exec 9>&-
fi
# ... then what only root sees. The client waits for end of file on the runner's stderr, which
# we inherited: release it here, so that cgroup and temp clean-up does not delay its caller.
exec 2>/dev/null
remove_tree() {
  [ -d "$1" ] || return 0
  # Usually one level: the runner's group and leftover command groups; find for deeper trees.
  rmdir -- "$1"/*/ "$1" 2>/dev/null
  [ -d "$1" ] || return 0
  find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
  [ ! -d "$1" ]
}
if [ -d "$v2" ]; then
  i=0
  until remove_tree "$v2" || [ $i -ge 400 ]; do sleep 0.05; i=$((i + 1)); done
fi
[ "$pids" = - ] || remove_tree "$pids" || true
[ "$mem" = - ] || remove_tree "$mem" || true
[ -d "$tmp" ] && rm -rf --one-file-system -- "$tmp"
`;

export interface ReaperTargets {
  installation: string;
  sessionId: string;
  /** The v2 session group. */
  cgroupV2: string;
  /** The v1 pids group, or null. */
  cgroupPids: string | null;
  /** The v1 memory group, or null. */
  cgroupMemory?: string | null;
  tmpdir: string;
  /** Placeholder paths this session reserves. */
  reservations: string[];
}

/** Start the reaper; keep the returned stream open for as long as the session lives. */
export function startReaper(targets: ReaperTargets): Writable {
  const args = [
    '-c',
    SCRIPT,
    'corral-reaper',
    targets.cgroupV2,
    targets.cgroupPids ?? '-',
    targets.tmpdir,
    reservationsDir(targets.installation),
    targets.sessionId,
    targets.cgroupMemory ?? '-',
    ...targets.reservations.flatMap((path) => [reservationKey(path), path]),
  ];
  const child = spawn('/bin/sh', args, { stdio: ['pipe', 'ignore', 'inherit'], detached: true, cwd: '/', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  child.unref();
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // the reaper never exits before us; nothing to report if it did
  (stdin as Writable & { unref?: () => void }).unref?.();
  return stdin;
}
