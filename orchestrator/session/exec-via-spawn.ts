/**
 * `exec` in terms of `spawn`, for every Session (the in-process one, session.ts, and a kept
 * session's client, session-host/remote.ts): the command's stdout and stderr collected whole, its
 * input (if any) written and closed, the exit awaited.
 */
import type { ExecOptions, ExecResult, SandboxedProcess, SpawnOptions } from './types.js';

export async function execViaSpawn(
  spawn: (argv: readonly string[], options: SpawnOptions) => SandboxedProcess,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const { input, ...rest } = options;
  const child = spawn(argv, { ...rest, stdin: input === undefined ? 'ignore' : 'pipe' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  if (input !== undefined) child.stdin!.end(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  const exit = await child.exit;
  return { ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}
