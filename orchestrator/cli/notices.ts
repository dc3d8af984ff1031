/**
 * What Corral itself did to a command, said in plain words: one line each on stderr, marked
 * `corral:` (run-stream.ts), and the same lines in `corral run --json` (`notices`). Only facts
 * the runner reported in the exit frame — the timeout fired, the output went over the limit, the
 * kernel's OOM killer, and in an offline session an attempt to reach an address outside it (the
 * packets its namespace's table refused, and its no-route counters) — never a guess from
 * the command's own output, which the sandboxed side writes. The command's stdout is never
 * touched.
 *
 * The git notice (git: "read"): decided from what Corral knows itself, never from the command's
 * output — the policy keeps every .git read-only, the command asked for (its argv, which the
 * caller chose, not the session) is git with a subcommand that writes the repository (directly,
 * or as the first word of an `sh -c`/`bash -c` script), and it failed. Git's own message is not
 * read: `git stash` fails with none at all, and the sandboxed side could print anything. So a
 * write that failed for another reason (nothing to commit) gets the line too; it says "may".
 */
import type { GitAccess, Limits, Network } from '../../core/vocabulary.js';
import type { CommandExit } from '../session/types.js';

export interface NoticeContext {
  limits: Readonly<Limits>;
  network: Network;
  /** Policy `git` (absent: no git notice). */
  git?: GitAccess;
  /** The command as the caller gave it (absent: no git notice). */
  argv?: readonly string[];
}

/** Subcommands that write the git directory (objects, refs, index, logs, stash). */
const GIT_WRITES = new Set([
  'add', 'am', 'branch', 'checkout', 'cherry-pick', 'commit', 'commit-tree', 'fetch', 'gc', 'hash-object', 'merge', 'mv', 'notes',
  'pack-refs', 'prune', 'pull', 'read-tree', 'rebase', 'repack', 'replace', 'reset', 'restore', 'revert', 'rm', 'stash', 'switch',
  'symbolic-ref', 'tag', 'update-index', 'update-ref', 'write-tree',
]);
/** git's global options that take a separate value (`git -C dir commit`). */
const GIT_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env', '--exec-path', '--super-prefix']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh']);

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The git subcommand of `words` when words[0] is git (after its global options), else null. */
function subcommandOf(words: readonly string[]): string | null {
  if (words.length === 0 || basename(words[0]!) !== 'git') return null;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (GIT_VALUE_OPTIONS.has(w)) {
      i += 1;
      continue;
    }
    if (w.startsWith('-')) continue;
    return w;
  }
  return null;
}

/** The git subcommand the command runs: `git …`, or a shell's `-c` script that starts with git. */
export function gitSubcommand(argv: readonly string[]): string | null {
  const direct = subcommandOf(argv);
  if (direct !== null) return direct;
  if (argv.length >= 3 && SHELLS.has(basename(argv[0]!)) && /^-[a-z]*c$/.test(argv[1]!)) {
    return subcommandOf(argv[2]!.trim().split(/\s+/));
  }
  return null;
}

/** Whether to say that Corral's git: "read" may be why the command failed (see the top of this file). */
export function gitWriteRefused(exit: Pick<CommandExit, 'status' | 'timedOut' | 'killed'>, ctx: Pick<NoticeContext, 'git' | 'argv'>): boolean {
  if (ctx.git !== 'read' || ctx.argv === undefined || exit.status === 0 || exit.timedOut || exit.killed !== null) return false;
  const sub = gitSubcommand(ctx.argv);
  return sub !== null && GIT_WRITES.has(sub);
}

/** The lines, without the `corral: ` mark and the newline. */
export function commandNotices(exit: CommandExit, ctx: NoticeContext): string[] {
  const lines: string[] = [];
  if (exit.timedOut) {
    lines.push(`killed after ${ctx.limits.timeoutSec} s (limits.timeoutSec), with all it started`);
  }
  if (exit.killed !== null) lines.push(`killed: ${exit.killed} (limits.memoryBytes)`);
  if (exit.outputTruncated) {
    lines.push(`output cut at ${ctx.limits.maxOutputBytes} bytes (limits.maxOutputBytes): the rest of stdout and stderr was dropped`);
  }
  if (exit.networkUnreachable && exit.status !== 0) {
    lines.push(
      'this session is offline (network: "offline"), and the command tried to reach the network (a name lookup or a connection was refused); ' +
        '`--network online`, `--allow-host HOST`, or "network" in a config file gives it one',
    );
  }
  if (gitWriteRefused(exit, ctx)) {
    lines.push(
      'git may have failed because Corral keeps .git read-only in this session (git: "read"); ' +
        'set "git": "commit" in your user config (~/.config/corral/config.json) to let commands commit, branch and stash (hooks and config stay read-only)',
    );
  }
  return lines;
}
