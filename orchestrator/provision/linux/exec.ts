/**
 * Running the Linux administration tools. Always an argv array through execFile — never a
 * shell — so user names and paths are data, never code. Tools are found once on PATH
 * plus the sbin directories (sudo's secure_path may differ from the caller's PATH); a
 * missing tool is `tool_missing` naming its Debian package.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';

/** Debian package of each tool the provisioner runs. */
export const TOOL_PACKAGES = {
  nft: 'nftables',
  setfacl: 'acl',
  getfacl: 'acl',
  visudo: 'sudo',
  useradd: 'passwd',
  groupadd: 'passwd',
  usermod: 'passwd',
  userdel: 'passwd',
  groupdel: 'passwd',
  gpasswd: 'passwd',
  getent: 'libc-bin',
  install: 'coreutils',
  // The runner makes and grows each workspace's bounded HOME with them (runner/linux/home-image.ts).
  'mkfs.ext4': 'e2fsprogs',
  resize2fs: 'e2fsprogs',
  e2fsck: 'e2fsprogs',
} as const;

export type Tool = keyof typeof TOOL_PACKAGES;

const SBIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = new Map<Tool, string>();

/** Absolute path of `tool`, or null when it is not installed. */
export function findTool(tool: Tool, env: NodeJS.ProcessEnv = process.env): string | null {
  const cached = found.get(tool);
  if (cached !== undefined) return cached;
  const dirs = [...(env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d)), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      found.set(tool, candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function toolMissing(tool: Tool): CorralError {
  const pkg = TOOL_PACKAGES[tool];
  return new CorralError('tool_missing', `${tool} is not installed; install the Debian package ${pkg} (apt-get install ${pkg})`, {
    details: { tool, package: pkg },
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Data written to the tool's stdin. */
  input?: string;
  /** Exit codes that are not failures (default: only 0). */
  okCodes?: readonly number[];
}

/** Run `tool args…`; a non-accepted exit code is `step_failed` with the tool's stderr. */
export function run(tool: Tool, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const file = findTool(tool);
  if (file === null) return Promise.reject(toolMissing(tool));
  const okCodes = opts.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        if (code === -1) {
          reject(new CorralError('step_failed', `${formatCommand(tool, args)} could not run: ${err?.message ?? ''}`, { cause: err }));
          return;
        }
        if (!okCodes.includes(code)) {
          reject(
            new CorralError('step_failed', `${formatCommand(tool, args)} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`, {
              details: { tool, args: [...args], exit: code, stderr },
            }),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX shell would need it quoted — for display (--dry-run) only. */
export function quoteArg(arg: string): string {
  if (SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line for display; never executed through a shell. */
export function formatCommand(tool: string, args: readonly string[]): string {
  return [tool, ...args].map(quoteArg).join(' ');
}
