/**
 * The fast client path of `corral run` and `corral sh` (entry.ts tries it before commander
 * loads): the command line is parsed here by hand, the session key computed (no zod:
 * session-host/key.ts), and the command run in the kept session for that key — the live one, or
 * one a new host opens — through run.ts's own runInSession, so streaming, stdin, signals, --json,
 * notices and violations are the same code as on the full path.
 *
 * Anything this parser does not understand exactly (an unknown option, --help, a missing value,
 * --fresh, no command) and any way of not getting a kept session returns null: the full CLI then
 * handles the command line as it always has. When a host could not be had, reuse is turned off
 * for the rest of this process (acquire.ts disableReuse), so the full path opens a fresh session
 * at once instead of trying again.
 *
 * Loaded modules: this file, run.ts and run-stream.ts with what they import, the session-host
 * client side, the platform leaf's real-user lookup — never commander, zod, listr2 or the MCP SDK
 * (test/unit/fast-run-modules.test.ts checks the loaded set).
 */
import type { RunFlags } from './commands/run.js';

const VALUE_OPTIONS = {
  '--workspace': 'workspace',
  '--network': 'network',
  '--cwd': 'cwd',
  '--timeout': 'timeout',
} as const;
const LIST_OPTIONS = { '--allow-host': 'allowHost', '--deny-host': 'denyHost', '--publish': 'publish' } as const;
const BOOLEAN_OPTIONS = { '--json': 'json', '--explain': 'explain', '--quiet-violations': 'quietViolations', '--fresh': 'fresh' } as const;

const has = <T extends object>(o: T, k: string): k is Extract<keyof T, string> => Object.prototype.hasOwnProperty.call(o, k);

/** `run [options] [--] CMD [ARG...]` as commander would read it (positional and pass-through options), or null. */
export function parseRunArgs(args: readonly string[]): { flags: RunFlags; command: string[] } | null {
  const flags: RunFlags = {};
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i += 1;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '--pty' || name === '--no-pty') {
      if (eq > 0) return null;
      flags.pty = name === '--pty';
      continue;
    }
    if (has(BOOLEAN_OPTIONS, name)) {
      if (eq > 0) return null;
      flags[BOOLEAN_OPTIONS[name]] = true;
      continue;
    }
    if (!has(VALUE_OPTIONS, name) && !has(LIST_OPTIONS, name)) return null;
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return null;
      value = next;
      i += 1;
    }
    if (has(VALUE_OPTIONS, name)) flags[VALUE_OPTIONS[name]] = value;
    else {
      const key = LIST_OPTIONS[name as keyof typeof LIST_OPTIONS];
      flags[key] = [...(flags[key] ?? []), value];
    }
  }
  const command = args.slice(i);
  return command.length === 0 ? null : { flags, command };
}

/** Run `argv` (`run …` or `sh …`) in a kept session; the status, or null for the full CLI. */
export async function fastRun(argv: readonly string[]): Promise<number | null> {
  let flags: RunFlags;
  let commandFor: (session: { shell: string | null }) => string[];
  if (argv[0] === 'run') {
    const parsed = parseRunArgs(argv.slice(1));
    if (parsed === null || parsed.flags.fresh === true || parsed.flags.publish !== undefined) return null;
    flags = parsed.flags;
    commandFor = () => parsed.command;
  } else if (argv[0] === 'sh') {
    if (argv[1] === '--help') return null;
    flags = {};
    const { shellCommand } = await import('./shell-command.js');
    commandFor = (session) => shellCommand(session, argv.slice(1));
  } else {
    return null;
  }
  const { keyedTarget, keptSession, disableReuse } = await import('../session-host/acquire.js');
  let session;
  try {
    // Usage errors of the flags are the full CLI's to report, with its wording.
    (await import('./session-options.js')).sessionOptionsFrom(flags);
    const target = await keyedTarget(flags);
    if (typeof target === 'string') return null;
    session = await keptSession(target, flags);
  } catch {
    return null;
  }
  if (session === null) {
    disableReuse('no kept session could be had');
    return null;
  }
  const { runInSession } = await import('./commands/run.js');
  return runInSession(commandFor, flags, session);
}
