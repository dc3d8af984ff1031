/**
 * What Corral itself did to a command, said in plain words: one line each on stderr, marked
 * `corral:` (run-stream.ts), and the same lines in `corral run --json` (`notices`). Only facts
 * the runner reported in the exit frame — the timeout fired, the output went over the limit, the
 * kernel's OOM killer, and in an offline session an attempt to reach an address with no route
 * (the kernel's no-route counters of the session's network namespace) — never a guess from
 * the command's own output, which the sandboxed side writes. The command's stdout is never
 * touched.
 */
import type { Limits, Network } from '../../core/vocabulary.js';
import type { CommandExit } from '../session/types.js';

export interface NoticeContext {
  limits: Readonly<Limits>;
  network: Network;
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
      'this session is offline (network: "offline"), and the command tried to reach the network (a name lookup or a connection found no route); ' +
        '`--network online`, `--allow-host HOST`, or "network" in a config file gives it one',
    );
  }
  return lines;
}
