/**
 * Find the file a command's argv[0] names, the way a Windows shell would, but without the
 * current-directory search CreateProcess does by default: the runner always hands
 * CreateProcess a full path as lpApplicationName, so what runs is exactly what was found here.
 * Pure (the file test is injected); unit-tested on every OS.
 *
 * Rules:
 *  - a name with a directory part (`\`, `/` or a drive) is taken relative to the command's cwd;
 *  - a bare name is looked up in each PATH directory in order (never in the cwd, like
 *    NoDefaultCurrentDirectoryInExePath: a file dropped into the workspace must not shadow a
 *    tool);
 *  - a name with an extension in PATHEXT is tried as is first; otherwise each PATHEXT
 *    extension is appended in order (default `.COM;.EXE;.BAT;.CMD`).
 */
import { win32 } from 'node:path';

const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

/** The environment lookup Windows uses: names compared case-insensitively. */
export function getEnv(env: Readonly<Record<string, string>>, name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const [key, value] of Object.entries(env)) if (key.toUpperCase() === upper) return value;
  return undefined;
}

export interface ResolveInput {
  program: string;
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** True if `path` is an existing regular file. */
  isFile(path: string): boolean;
}

function hasDirectoryPart(program: string): boolean {
  return /[\\/]/.test(program) || /^[A-Za-z]:/.test(program);
}

function candidates(base: string, extensions: string[]): string[] {
  const ext = win32.extname(base).toUpperCase();
  const out: string[] = [];
  if (ext !== '' && extensions.includes(ext)) out.push(base);
  for (const e of extensions) out.push(base + e.toLowerCase());
  return out;
}

/** The full path of the program, or undefined if no candidate exists. */
export function resolveProgram({ program, cwd, env, isFile }: ResolveInput): string | undefined {
  if (program.length === 0 || program.includes('\0')) return undefined;
  const extensions = (getEnv(env, 'PATHEXT') ?? DEFAULT_PATHEXT)
    .split(';')
    .map((e) => e.trim().toUpperCase())
    .filter((e) => /^\.[A-Z0-9_]+$/.test(e));
  const dirs = hasDirectoryPart(program)
    ? [win32.dirname(win32.resolve(cwd, program))]
    : (getEnv(env, 'PATH') ?? '')
        .split(';')
        .map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
        .filter((d) => d.length > 0 && win32.isAbsolute(d));
  const name = hasDirectoryPart(program) ? win32.basename(win32.resolve(cwd, program)) : program;
  for (const dir of dirs) {
    for (const candidate of candidates(win32.join(dir, name), extensions)) {
      if (isFile(candidate)) return candidate;
    }
  }
  return undefined;
}
