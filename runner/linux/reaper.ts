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
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { reservationKey, reservationsDir } from './reservations.js';

const SCRIPT = String.raw`
set -u
v2=$1 pids=$2 tmp=$3 reg=$4 sid=$5
shift 5
cat >/dev/null
remove_tree() {
  [ -d "$1" ] || return 0
  find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
  [ ! -d "$1" ]
}
if [ -d "$v2" ]; then
  echo 1 > "$v2/cgroup.kill" 2>/dev/null
  i=0
  until remove_tree "$v2" || [ $i -ge 400 ]; do sleep 0.05; i=$((i + 1)); done
fi
[ "$pids" = - ] || remove_tree "$pids" || true
[ -d "$tmp" ] && rm -rf --one-file-system -- "$tmp"
others() {
  for f in "$reg/$1".*; do [ -e "$f" ] && return 0; done
  return 1
}
if [ $# -gt 0 ] && [ -d "$reg" ]; then
  exec 9>>"$reg/.lock"
  flock 9
  while [ $# -ge 2 ]; do
    key=$1 path=$2
    shift 2
    rm -f -- "$reg/$key.$sid"
    others "$key" && continue
    if [ -d "$path" ] && [ ! -L "$path" ] && [ "$(stat -c %u -- "$path")" = 0 ]; then
      rmdir -- "$path" 2>/dev/null
    elif [ -f "$path" ] && [ ! -L "$path" ] && [ ! -s "$path" ] && [ "$(stat -c %u -- "$path")" = 0 ]; then
      rm -f -- "$path"
    fi
  done
  flock -u 9
fi
`;

export interface ReaperTargets {
  installation: string;
  sessionId: string;
  /** The v2 session group. */
  cgroupV2: string;
  /** The v1 pids group, or null. */
  cgroupPids: string | null;
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
    ...targets.reservations.flatMap((path) => [reservationKey(path), path]),
  ];
  const child = spawn('/bin/sh', args, { stdio: ['pipe', 'ignore', 'inherit'], detached: true, cwd: '/', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  child.unref();
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // the reaper never exits before us; nothing to report if it did
  (stdin as Writable & { unref?: () => void }).unref?.();
  return stdin;
}
