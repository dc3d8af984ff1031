/**
 * argv → the one command-line string Windows passes to a new process. Pure; unit-tested on
 * every OS (test/unit/windows-command-line.test.ts).
 *
 * Windows has no argv: CreateProcess takes one string, and each program splits it itself.
 * Three cases, chosen from the resolved program file:
 *
 * 1. An ordinary program (`.exe`, `.com`): quoted so that the MSVCRT/UCRT start-up code (and
 *    CommandLineToArgvW) give back exactly `argv`. Rules: an argument without space, tab,
 *    newline, vertical tab or `"` (and not empty) is left as is; otherwise it is put in
 *    quotes, a `"` inside becomes `\"`, backslashes are doubled only where they precede a `"`
 *    (including the closing one), other backslashes stay single. argv[0] is parsed by simpler
 *    rules (no escapes: everything up to the next quote), so it may not contain `"`.
 *
 * 2. A batch file (`.bat`, `.cmd`): Windows runs those through cmd.exe, which re-parses the
 *    line with its own rules — `&`, `|`, `<`, `>`, `(`, `)`, `^` outside quotes and `%VAR%`
 *    even inside quotes would let an argument start a second command (CVE-2024-24576 in
 *    Rust's std, CVE-2024-27980 in Node; Node now refuses batch files without `shell`). Here
 *    the argument is data and must stay data, so:
 *      - we start cmd.exe ourselves: `cmd.exe /d /e:ON /v:OFF /s /c ""<script>" <args>"` — `/d`
 *        skips AutoRun registry commands, `/v:OFF` turns off `!VAR!` expansion, `/e:ON` is
 *        needed by the `%` trick below, `/s` makes cmd strip exactly the outer quote pair;
 *      - every argument that holds anything but letters, digits and `#$*+-./:?@\_` (or is
 *        empty, or ends with `\`) is quoted, so cmd's metacharacters are inside quotes where
 *        cmd treats them as text; a `"` inside is doubled (`""`), which keeps cmd's quote
 *        state "inside" (a program that gets `%*` from the script reads `""` in quotes back as
 *        one `"` by the MSVCRT rules; the script's own `%~1` sees `""`);
 *      - each `%` becomes `%%cd:~,%`: cmd keeps the first `%` (no variable has an empty name)
 *        and expands `%cd:~,%` (an empty substring of the current directory) to nothing, so
 *        the `%` survives while a `%NAME%` in the data can never pair up and be expanded;
 *      - CR, LF and NUL are refused: cmd ends the command at a line break.
 *    The script path itself may not contain `"` or end with `\` (no Windows file name does).
 *
 * 3. cmd.exe itself: the caller asked for a shell on purpose, the way `sh -c` is asked for on
 *    Linux. The switches are kept, and the text after `/c` (or `/k`, `/r`) is cmd syntax by
 *    contract, so it is passed verbatim (joined with spaces), never quoted per MSVCRT rules
 *    (cmd does not follow them). This is no escape from the sandbox: the command runs under the
 *    same restricted token as any other.
 */

export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
}

/** Characters that make MSVCRT split or unquote an argument. */
const NEEDS_MSVCRT_QUOTES = /[ \t\n\v"]/;

/** Quote one argument (not argv[0]) for the MSVCRT/CommandLineToArgvW parser. */
export function quoteMsvcrtArgument(arg: string): string {
  if (arg.includes('\0')) throw new CommandLineError('an argument contains a NUL character');
  if (arg.length > 0 && !NEEDS_MSVCRT_QUOTES.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
      continue;
    }
    if (ch === '"') {
      // 2n backslashes give back n; the extra one escapes the quote.
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(backslashes) + ch;
    }
    backslashes = 0;
  }
  // Backslashes before the closing quote are doubled so that it still closes.
  return out + '\\'.repeat(backslashes * 2) + '"';
}

/** argv[0] as CreateProcess and the CRT read it: quoted when needed, never escaped. */
export function quoteProgramName(program: string): string {
  if (program.length === 0) throw new CommandLineError('the program name is empty');
  if (program.includes('"')) throw new CommandLineError(`the program name ${JSON.stringify(program)} contains a double quote`);
  if (program.includes('\0')) throw new CommandLineError('the program name contains a NUL character');
  return /[ \t]/.test(program) ? `"${program}"` : program;
}

/** An ordinary program's command line: argv[0] then each argument, MSVCRT-quoted. */
export function msvcrtCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new CommandLineError('argv is empty');
  return [quoteProgramName(argv[0]!), ...argv.slice(1).map(quoteMsvcrtArgument)].join(' ');
}

/** ASCII characters a batch argument may hold without quotes. */
const BATCH_UNQUOTED = /^[A-Za-z0-9#$*+\-./:?@\\_]$/;
const BATCH_FORBIDDEN = /[\r\n\0]/;

/** One argument to a batch file, made inert for cmd.exe (see case 2 above). */
export function quoteBatchArgument(arg: string): string {
  if (BATCH_FORBIDDEN.test(arg)) {
    throw new CommandLineError(
      `a batch file argument contains a line break or NUL (${JSON.stringify(arg)}); cmd.exe would cut the command there, so it is refused`,
    );
  }
  let quote = arg.length === 0 || arg.endsWith('\\');
  for (const ch of arg) {
    const code = ch.codePointAt(0)!;
    // Every ASCII character not known to be inert, and every control character, forces quotes.
    if ((code < 0x80 && !BATCH_UNQUOTED.test(ch)) || (code >= 0x7f && code <= 0x9f)) quote = true;
  }
  let out = quote ? '"' : '';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
      out += ch;
      continue;
    }
    if (ch === '"') {
      // The MSVCRT rule for backslashes before a quote, then cmd's doubled quote.
      out += '\\'.repeat(backslashes) + '""';
    } else if (ch === '%') {
      out += '%%cd:~,%';
    } else {
      out += ch;
    }
    backslashes = 0;
  }
  if (quote) out += '\\'.repeat(backslashes) + '"';
  return out;
}

export interface BatchInvocation {
  /** Full path of cmd.exe (what CreateProcess is given as the application name). */
  cmdExe: string;
  /** Full path of the .bat/.cmd file. */
  script: string;
  args: readonly string[];
}

/** cmd.exe's command line that runs `script` with `args` as data. */
export function batchCommandLine({ cmdExe, script, args }: BatchInvocation): string {
  if (script.includes('"') || script.endsWith('\\') || BATCH_FORBIDDEN.test(script)) {
    throw new CommandLineError(`the batch file path ${JSON.stringify(script)} cannot be passed to cmd.exe safely`);
  }
  const inner = [`"${script}"`, ...args.map(quoteBatchArgument)].join(' ');
  return `${quoteProgramName(cmdExe)} /d /e:ON /v:OFF /s /c "${inner}"`;
}

const CMD_RUN_SWITCH = /^\/[ckr]$/i;

/**
 * cmd.exe started explicitly (case 3): `[cmd, ...switches, '/c', ...command]`. Switches before
 * `/c` are MSVCRT-quoted (they hold no spaces in practice); the command is verbatim.
 */
export function explicitCmdCommandLine(cmdExe: string, args: readonly string[]): string {
  const run = args.findIndex((a) => CMD_RUN_SWITCH.test(a));
  const head = [quoteProgramName(cmdExe), '/d'];
  if (run < 0) return [...head, ...args.map(quoteMsvcrtArgument)].join(' ');
  const command = args.slice(run + 1).join(' ');
  if (command.includes('\0')) throw new CommandLineError('the cmd.exe command contains a NUL character');
  return [...head, ...args.slice(0, run).map(quoteMsvcrtArgument), args[run]!, command].join(' ');
}

export type ProgramKind = 'exe' | 'batch' | 'cmd';

/** What kind of program a resolved path is, from its file name. */
export function programKind(resolvedPath: string): ProgramKind {
  const base = resolvedPath.slice(Math.max(resolvedPath.lastIndexOf('\\'), resolvedPath.lastIndexOf('/')) + 1).toLowerCase();
  if (base === 'cmd.exe') return 'cmd';
  if (base.endsWith('.bat') || base.endsWith('.cmd')) return 'batch';
  return 'exe';
}

export interface Invocation {
  /** lpApplicationName: always a full path, so CreateProcess never searches on its own. */
  application: string;
  /** lpCommandLine. */
  commandLine: string;
}

/**
 * The invocation for `argv` whose program was resolved to `resolvedProgram`. `cmdExe` is the
 * full path of cmd.exe (from %SystemRoot%, never from PATH or the request).
 */
export function buildInvocation(argv: readonly string[], resolvedProgram: string, cmdExe: string): Invocation {
  if (argv.length === 0) throw new CommandLineError('argv is empty');
  const kind = programKind(resolvedProgram);
  switch (kind) {
    case 'exe':
      return { application: resolvedProgram, commandLine: msvcrtCommandLine([argv[0]!, ...argv.slice(1)]) };
    case 'cmd':
      return { application: resolvedProgram, commandLine: explicitCmdCommandLine(resolvedProgram, argv.slice(1)) };
    case 'batch':
      return { application: cmdExe, commandLine: batchCommandLine({ cmdExe, script: resolvedProgram, args: argv.slice(1) }) };
  }
}
