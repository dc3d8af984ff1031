/**
 * Progress of a list of tasks, in the CLI's three output modes (cli/output.ts):
 *
 * - `tty`: a listr2 task list (loaded only then: it is not needed otherwise);
 * - `plain`: one line when a task starts and one when it ends, for logs and CI;
 * - `json`: nothing while running — the command prints one JSON document at the end.
 *
 * The first failing task stops the list and its error is rethrown unchanged.
 */
import type { OutputMode } from './cli/output.js';

export interface ProgressTask {
  title: string;
  run(): Promise<void>;
}

export async function runTasks(mode: OutputMode, tasks: readonly ProgressTask[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  switch (mode) {
    case 'tty':
      // A terminal that reports no width (a pty nobody sized: `script` in CI, a serial console)
      // makes listr2 wrap at zero columns, one character per line: print plain lines instead.
      if (!((process.stdout.columns ?? 0) > 0)) return runPlain(tasks, out);
      return runWithListr(tasks);
    case 'plain':
      return runPlain(tasks, out);
    case 'json':
      for (const task of tasks) await task.run();
      return;
  }
}

async function runPlain(tasks: readonly ProgressTask[], out: NodeJS.WritableStream): Promise<void> {
  const total = tasks.length;
  for (const [i, task] of tasks.entries()) {
    const tag = `[${i + 1}/${total}]`;
    out.write(`${tag} ${task.title} ...\n`);
    try {
      await task.run();
    } catch (err) {
      out.write(`${tag} ${task.title}: failed\n`);
      throw err;
    }
    out.write(`${tag} ${task.title}: done\n`);
  }
}

async function runWithListr(tasks: readonly ProgressTask[]): Promise<void> {
  const { Listr } = await import('listr2');
  const list = new Listr(
    tasks.map((t) => ({ title: t.title, task: async () => t.run() })),
    { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } },
  );
  await list.run();
}
