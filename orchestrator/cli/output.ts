/**
 * How the CLI prints: a listr2 task list on a terminal, plain lines otherwise, one JSON
 * document with --json. Errors: message and remedy on stderr (or a JSON document with
 * --json), exit code from the error table, never a stack trace for expected errors.
 */
import { CorralError, isCorralError } from '../../core/errors.js';

export type OutputMode = 'tty' | 'plain' | 'json';

export function outputMode(opts: { json?: boolean }, stream: NodeJS.WriteStream = process.stdout): OutputMode {
  if (opts.json === true) return 'json';
  return stream.isTTY === true && process.env.CI !== 'true' ? 'tty' : 'plain';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print an error the way the CLI does and return the exit code. */
export function reportError(err: unknown, json: boolean): number {
  const error = isCorralError(err)
    ? err
    : new CorralError('internal', err instanceof Error ? err.message : String(err), { cause: err });
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: error.toJSON() }, null, 2)}\n`);
  } else {
    process.stderr.write(`corral: ${error.message}\n`);
    process.stderr.write(`  ${error.remedy} [${error.code}]\n`);
    if (error.code === 'internal' && err instanceof Error && err.stack !== undefined) {
      process.stderr.write(`${err.stack}\n`);
    }
  }
  return error.exitCode;
}
