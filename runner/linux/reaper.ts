/**
 * The reaper: a small root process started before the runner creates anything, which waits
 * for the runner to go away (end of file on its stdin, a pipe only the runner holds) and then,
 * as root, kills whatever is left of the session (cgroup.kill on the session's v2 group),
 * removes the session's cgroups, its temp directory and its placeholders (unless another
 * session still reserves them). It runs in the host's mount namespace and cgroup, in its own
 * session (so a Ctrl-C aimed at the client's process group does not stop it), and the identity
 * cannot signal it (different uid).
 *
 * It is /bin/sh with a fixed script. Its targets reach it as data on stdin, never as script
 * text and never in argv (which every local user can read in /proc): one `key value` line
 * each, then `end`; the runner writes them with one synchronous write before it creates the
 * first of them, so a runner killed at any later point leaves a reaper that knows everything.
 *
 * Threat model for placeholders: they sit in directories the real user owns, and the user may
 * swap the workspace (or any directory above a placeholder) for a symbolic link while the
 * session runs. So the reaper never removes a placeholder through its path. It inherits, from
 * the runner, a descriptor of each placeholder's parent directory (opened once, without
 * following links, and checked: protected-paths.ts openPlaceholderDirs) and removes `/proc/<reaper>/fd/<n>/<name>`
 * — a name in the very directory that was checked, wherever it has been moved. The entry must
 * still be root-owned (only root can make one), not a link, an empty directory (rmdir removes
 * nothing else) or an empty file, and its device and inode must be those the runner reported
 * once it existed (ReaperHandle.reportInodes; a runner killed before reporting leaves only
 * the other checks). Anything else there — the real user replaced it — is left.
 *
 * Cost: it runs at every session's end, and `corral run` returns only once the runner's stderr
 * is closed, which the reaper holds until the placeholders are gone (a `git init` right after
 * `corral run` must not find a reserved `.git`). So waiting uses a shell builtin, placeholders
 * go in one call per kind, and stderr is released before the cgroup and temp clean-up.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { createPipe } from './fds.js';
import { reservationKey, reservationsDir } from './reservations.js';
import type { ReserveKind } from './git-commit.js';

// A plain template: each shell `${…}` is escaped as `\${…}`, and the script has no backslash.
const SCRIPT = `
set -u
v2=- pids=- mem=- tmp=- reg=- sid=-
# Targets (reaper.ts): one per line until "end"; a placeholder is "place <fd> <key> <d|f>"
# followed by its name on a line of its own. End of file before "end": the runner died while
# writing, and what arrived is cleaned up.
set --
while IFS= read -r line; do
  case $line in
    end) break ;;
    'v2 '*) v2=\${line#v2 } ;;
    'pids '*) pids=\${line#pids } ;;
    'mem '*) mem=\${line#mem } ;;
    'tmp '*) tmp=\${line#tmp } ;;
    'reg '*) reg=\${line#reg } ;;
    'sid '*) sid=\${line#sid } ;;
    'place '*) IFS= read -r name || break; set -- "$@" "\${line#place }" "$name" ;;
  esac
done
# Wait for the runner to go away: end of file on stdin. read is a builtin, so waiting costs
# no process. Meanwhile the runner reports each placeholder's inode once it exists:
# "ino <index> <dev>:<ino>" (digits only; anything else is ignored).
ids=' '
while IFS= read -r line; do
  case $line in
    'ino '*)
      rest=\${line#ino } i=\${rest%% *} id=\${rest#* }
      case $i$id in *[!0-9:]*|'') continue ;; esac
      ids="$ids$i=$id "
      ;;
  esac
done
populated() {
  [ -r "$1/cgroup.events" ] || return 1
  while read -r key value; do
    [ "$key" = populated ] && [ "$value" = 1 ] && return 0
  done < "$1/cgroup.events"
  return 1
}
if [ "$v2" != - ] && [ -d "$v2" ]; then
  echo 1 > "$v2/cgroup.kill" 2>/dev/null
  # The runner's own exit may still be settling; poll briefly, then go on regardless.
  i=0
  while populated "$v2" && [ $i -lt 2000 ]; do sleep 0.005; i=$((i + 1)); done
fi
others() {
  for f in "$reg/$1".*; do [ -e "$f" ] && return 0; done
  return 1
}
# Placeholders of kind d (directories, removed only while empty), f (empty files) or c (files
# holding "." alone: git-commit.ts dot-file) that no
# other session reserves and that are still ours (root-owned, not links), one call per kind,
# each through the inherited descriptor of its parent directory.
remove_placeholders() {
  want=$1
  shift
  n=$# spec= i=0 expect=
  for arg; do
    if [ -z "$spec" ]; then spec=$arg; continue; fi
    name=$arg fd=\${spec%% *} rest=\${spec#* } spec=
    key=\${rest%% *} kind=\${rest#* }
    i=$((i + 1))
    [ "$kind" = "$want" ] || continue
    path=/proc/$$/fd/$fd/$name
    others "$key" && continue
    [ -L "$path" ] && continue
    [ -O "$path" ] || continue
    case $kind in
      d) [ -d "$path" ] || continue ;;
      f) [ -f "$path" ] && [ ! -s "$path" ] || continue ;;
      c)
        [ -f "$path" ] || continue
        l1= l2= r1=1 r2=1
        { IFS= read -r l1; r1=$?; IFS= read -r l2; r2=$?; } < "$path" 2>/dev/null
        [ "$r1" = 0 ] && [ "$l1" = . ] && [ "$r2" != 0 ] && [ -z "$l2" ] || continue
        ;;
    esac
    # The inode the runner reported for it, or - when it died before reporting.
    case $ids in *" $i="*) e=\${ids#*" $i="} e=\${e%% *} ;; *) e=- ;; esac
    expect="$expect$e "
    set -- "$@" "$path"
  done
  shift $n
  [ $# -gt 0 ] || return 0
  # Only the very entry the runner made (or adopted) goes: device and inode, all in one stat
  # call, must be the reported ones (an entry replaced by another root-owned one is left).
  # A path that vanished meanwhile prints nothing, so every later pair differs: left too.
  got=$(stat --printf '%d:%i ' -- "$@" 2>/dev/null)
  n=$#
  for path; do
    e=\${expect%% *} expect=\${expect#* } g=\${got%% *} got=\${got#* }
    [ "$e" = - ] || [ "$e" = "$g" ] || continue
    set -- "$@" "$path"
  done
  shift $n
  [ $# -gt 0 ] || return 0
  case $want in
    d) rmdir -- "$@" 2>/dev/null ;;
    f|c) rm -f -- "$@" ;;
  esac
  return 0
}
# First what the real user can see (placeholders in the workspace) ...
if [ $# -gt 0 ] && [ "$reg" != - ] && [ -d "$reg" ]; then
  exec 9>>"$reg/.lock"
  flock 9
  rm -f -- "$reg"/*."$sid"
  remove_placeholders d "$@"
  remove_placeholders f "$@"
  remove_placeholders c "$@"
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
if [ "$v2" != - ] && [ -d "$v2" ]; then
  i=0
  until remove_tree "$v2" || [ $i -ge 400 ]; do sleep 0.05; i=$((i + 1)); done
fi
[ "$pids" = - ] || remove_tree "$pids" || true
[ "$mem" = - ] || remove_tree "$mem" || true
[ "$tmp" != - ] && [ -d "$tmp" ] && rm -rf --one-file-system -- "$tmp"
exit 0
`;

/** A placeholder the reaper may remove: `name` inside the directory open as `dirFd`. */
export interface ReaperPlaceholder {
  /** The placeholder's path as planned (its registry key is derived from it). */
  path: string;
  /** An open descriptor of its parent directory (protected-paths.ts openPlaceholderDirs). */
  dirFd: number;
  name: string;
  kind: ReserveKind;
}

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
  /** Placeholders this session reserves. */
  placeholders: ReaperPlaceholder[];
}

const REAPER_KIND: Record<ReserveKind, string> = { dir: 'd', file: 'f', 'dot-file': 'c' };

/** First descriptor number of the parent directories in the reaper (after stdin, stdout, stderr). */
const FIRST_DIR_FD = 3;

/**
 * The reaper's stdin text for `targets`, where the placeholders' parent directories are the
 * reaper's descriptors FIRST_DIR_FD… in order of `dirFds`. Every value is one line: a line
 * break in any of them is refused before anything is started (the runner builds all but the
 * names itself; a name comes from policy).
 */
export function reaperInput(targets: ReaperTargets, dirFds: number[]): string {
  const line = (key: string, value: string) => {
    if (/[\n\r]/.test(value)) throw new CorralError('request_invalid', `${JSON.stringify(value)} contains a line break; Corral does not protect or create such names`);
    return `${key} ${value}\n`;
  };
  let text =
    line('sid', targets.sessionId) +
    line('reg', reservationsDir(targets.installation)) +
    line('v2', targets.cgroupV2) +
    line('pids', targets.cgroupPids ?? '-') +
    line('mem', targets.cgroupMemory ?? '-') +
    line('tmp', targets.tmpdir);
  for (const p of targets.placeholders) {
    if (p.name === '' || p.name.includes('/') || p.name === '.' || p.name === '..') throw new CorralError('request_invalid', `placeholder name ${JSON.stringify(p.name)} is not a single path component`);
    const fd = FIRST_DIR_FD + dirFds.indexOf(p.dirFd);
    text += line('place', `${fd} ${reservationKey(p.path)} ${REAPER_KIND[p.kind]}`) + line('', p.name).slice(1);
  }
  return `${text}end\n`;
}

/** The running reaper: what the runner tells it after the targets. */
export interface ReaperHandle {
  /**
   * The device and inode of each placeholder (in the order of `targets.placeholders`), once it
   * exists: the reaper removes an entry only if it is still that inode.
   */
  reportInodes(inodes: ({ dev: number; ino: number } | null)[]): void;
}

/** The reaper's lines reporting `inodes` (1-based placeholder index; a missing one is not reported). */
export function inodeReport(inodes: ({ dev: number; ino: number } | null)[]): string {
  return inodes.map((id, i) => (id === null ? '' : `ino ${i + 1} ${id.dev}:${id.ino}\n`)).join('');
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * Start the reaper and hand it its targets. The write end of its stdin stays open (and
 * close-on-exec, so no command inherits it) for as long as this process lives.
 */
export function startReaper(targets: ReaperTargets): ReaperHandle {
  const dirFds = [...new Set(targets.placeholders.map((p) => p.dirFd))];
  const input = reaperInput(targets, dirFds);
  const pipe = createPipe();
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'corral-reaper'], {
      stdio: [pipe.read, 'ignore', 'inherit', ...dirFds],
      detached: true,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.unref();
  } finally {
    closeSync(pipe.read);
  }
  // One synchronous write into the pipe's buffer (64 KiB; the reaper drains it as it reads,
  // so a larger text only blocks until it has): once it returns, the reaper has its targets
  // even if this process dies the next instant.
  writeAll(pipe.write, input);
  return { reportInodes: (inodes) => writeAll(pipe.write, inodeReport(inodes)) };
}
