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

/** A command's output in a JSON document: the text when it is valid UTF-8, else base64 (bytes kept exactly). */
export interface JsonOutput {
  encoding: 'utf8' | 'base64';
  data: string;
}

export function jsonOutput(data: Buffer): JsonOutput {
  const text = data.toString('utf8');
  return Buffer.from(text, 'utf8').equals(data) ? { encoding: 'utf8', data: text } : { encoding: 'base64', data: data.toString('base64') };
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
