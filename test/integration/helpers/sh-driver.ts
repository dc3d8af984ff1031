/**
 * A shell-using program, as an agent's tool runner is one: runs each case of a JSON file through
 * `child_process` with the shell given on its command line, and prints what it saw as JSON.
 * `node sh-driver.js SHELL CASES.json`.
 *
 * A case without `flags` or `args` goes through `exec(cmd, { shell })` — Node runs
 * `SHELL -c cmd`, the way agents do; one with them through `execFile(SHELL, [...flags, cmd,
 * ...args])` (`exec` has no way to pass `$0`, `$1`). stdin gets the case's `input` (base64) and
 * is then closed.
 */
import { exec, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ShCase {
  name: string;
  cmd: string;
  /** Shell flags before the command (default `-c`): e.g. `['-lc']`, `['-e', '-c']`. */
  flags?: string[];
  /** `$0`, `$1`, … after the command. */
  args?: string[];
  /** stdin, base64. */
  input?: string;
}

export interface ShOutcome {
  name: string;
  /** Exit code, or null when the shell was killed by a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function runCase(shell: string, c: ShCase): Promise<ShOutcome> {
  return new Promise((resolve) => {
    const done = (error: { code?: unknown; signal?: NodeJS.Signals | null } | null, stdout: Buffer, stderr: Buffer) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ name: c.name, code, signal: error?.signal ?? null, stdout: stdout.toString('base64'), stderr: stderr.toString('base64') });
    };
    const options = { encoding: 'buffer' as const, maxBuffer: 64 * 1024 * 1024 };
    const child: ChildProcess =
      c.flags === undefined && c.args === undefined
        ? exec(c.cmd, { ...options, shell }, done)
        : execFile(shell, [...(c.flags ?? ['-c']), c.cmd, ...(c.args ?? [])], options, done);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(Buffer.from(c.input ?? '', 'base64'));
  });
}

const [shell, casesFile] = process.argv.slice(2);
if (shell === undefined || casesFile === undefined) {
  process.stderr.write('usage: sh-driver SHELL CASES.json\n');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as ShCase[];
const results: ShOutcome[] = [];
for (const c of cases) results.push(await runCase(shell, c));
process.stdout.write(JSON.stringify(results));
