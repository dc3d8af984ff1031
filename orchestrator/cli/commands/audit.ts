/** `corral audit [--last N] [--json]`: the real user's audit records, newest last. */
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { currentPlatform } from '../../current-platform.js';
import type { AuditRecord } from '../../audit/record.js';
import { printJson } from '../output.js';
import type { SetExit } from './set-exit.js';

const DEFAULT_LAST = 20;

/** An argv as a shell would need it typed (for reading, not for running). */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function formatRecord(r: AuditRecord): string {
  const status = r.error !== undefined ? `error ${r.error}` : r.timedOut ? 'timeout' : r.signal !== null ? r.signal : `exit ${r.exitCode}`;
  return `${r.time}  ${status.padEnd(10)} ${String(r.durationMs).padStart(7)} ms  ${r.identity}  ${r.cwd}  $ ${shellQuote(r.argv)}`;
}

export function registerAudit(program: Command, _setExit: SetExit): void {
  program
    .command('audit')
    .description("Show the commands run in your sessions (one record per command, from the real user's audit log).")
    .option('--last <n>', `show the last N records (default ${DEFAULT_LAST}; 0 for all)`)
    .option('--json', 'one JSON document')
    .action(async (opts: { last?: string; json?: boolean }) => {
      const last = opts.last === undefined ? DEFAULT_LAST : Number(opts.last);
      if (!Number.isInteger(last) || last < 0) throw new CorralError('usage', `--last takes a whole number; found ${JSON.stringify(opts.last)}`);
      // Loaded when the command runs: every module imported at the top costs every command's start-up.
      const [{ auditFilePath }, { readAudit }] = await Promise.all([import('../../audit/path.js'), import('../../audit/read.js')]);
      const leaf = await currentPlatform();
      const user = await leaf.currentRealUser();
      const file = auditFilePath(leaf.installation, user);
      const out = readAudit(file, last === 0 ? undefined : last);
      if (opts.json === true) {
        printJson({ ok: true, realUser: user.name, ...out });
        return;
      }
      if (out.records.length === 0) {
        process.stdout.write(`No commands recorded yet (${file}).\n`);
        return;
      }
      process.stdout.write(`${out.records.map(formatRecord).join('\n')}\n`);
      if (out.skipped > 0) process.stderr.write(`corral: ${out.skipped} damaged line(s) in ${file} were skipped\n`);
    });
}
