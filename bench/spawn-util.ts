/** Run a command to completion with child_process.spawn. */
import { spawn, type SpawnOptions } from 'node:child_process';

/** Resolves with the exit code (128 + 1 when a signal ended it); output is discarded. */
export function run(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore', ...opts });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : 1)));
  });
}

/** Rejects unless the exit code is 0, with the end of stderr in the message. */
export function runOk(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().trim().slice(-400)}`));
    });
  });
}
