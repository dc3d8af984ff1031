/**
 * The peers the benchmark compares against, installed on demand into places the project
 * owns: bubblewrap and srt's helpers from Debian, sandbox-runtime from npm into
 * bench/.tools (gitignored). Each returns the command to run, or why it can't run here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export type Tool = { ok: true; path: string } | { ok: false; reason: string };

const TOOLS_DIR = path.resolve(import.meta.dirname, '..', '..', 'bench', '.tools');
export const SRT_VERSION = '0.0.83';

function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function aptInstall(packages: string[]): string | null {
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return null;
  } catch (err) {
    return `apt-get install ${packages.join(' ')} failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

export function ensureBwrap(): Tool {
  let found = which('bwrap');
  if (found === null) {
    const failed = aptInstall(['bubblewrap']);
    if (failed !== null) return { ok: false, reason: failed };
    found = which('bwrap');
  }
  return found === null ? { ok: false, reason: 'bwrap not found after installing bubblewrap' } : { ok: true, path: found };
}

export function ensureSrt(): Tool {
  const bin = path.join(TOOLS_DIR, 'node_modules', '.bin', 'srt');
  if (!existsSync(bin)) {
    const missing = ['socat', 'rg'].filter((c) => which(c) === null);
    if (missing.length > 0) {
      const failed = aptInstall(['socat', 'ripgrep']);
      if (failed !== null) return { ok: false, reason: failed };
    }
    mkdirSync(TOOLS_DIR, { recursive: true });
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', TOOLS_DIR, `@anthropic-ai/sandbox-runtime@${SRT_VERSION}`], {
        stdio: 'ignore',
      });
    } catch (err) {
      return { ok: false, reason: `npm install @anthropic-ai/sandbox-runtime failed: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return existsSync(bin) ? { ok: true, path: bin } : { ok: false, reason: 'srt binary missing after install' };
}
