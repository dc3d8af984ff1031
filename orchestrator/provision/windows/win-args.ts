/**
 * Windows command-line quoting for the one command line Corral builds itself: the
 * elevated `powershell.exe -File <elevated-host.ps1> -PlanFile <…> -ResultFile <…>`
 * started through ShellExecute (UAC), which takes a single argument string.
 *
 * Rules (CommandLineToArgvW / MSVC): inside "…", backslashes are literal unless they precede
 * a quote; a run of n backslashes before a quote must be doubled. We only ever quote
 * Windows paths, which cannot contain `"`, so a value with a quote (or NUL, CR, LF) is
 * refused rather than escaped: there is then no way for a value to end its quotes early.
 */
import { CorralError } from '../../../core/errors.js';

const FORBIDDEN = /["\u0000\r\n]/;

export function quoteWindowsArgument(value: string): string {
  if (value === '' || FORBIDDEN.test(value)) {
    throw new CorralError('internal', `cannot pass ${JSON.stringify(value)} on a Windows command line (empty, or contains a quote, NUL or newline)`);
  }
  const trailingBackslashes = /\\*$/.exec(value)![0].length;
  return `"${value}${'\\'.repeat(trailingBackslashes)}"`;
}

/** Split a command line the way CommandLineToArgvW does (for tests and diagnostics). */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          current += '"';
          i += n;
        } else {
          i += n - 1;
        }
      } else {
        current += '\\'.repeat(n);
        i += n - 1;
      }
      started = true;
    } else if (ch === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if ((ch === ' ' || ch === '\t') && !inQuotes) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}
