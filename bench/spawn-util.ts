/** Run a command to completion with child_process.spawn; resolves with its exit code. */
import { spawn, type SpawnOptions } from 'node:child_process';

export function run(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore', ...opts });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : 1)));
  });
}

/** Like run, but rejects unless the exit code is 0. */
export async function runOk(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<void> {
  const code = await run(cmd, args, opts);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}`);
}
