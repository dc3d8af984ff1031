/**
 * Where the Windows provisioner finds what it ships with: the package root (the directory
 * holding this package's package.json), the bundled module and the elevated host script.
 * Both files are in the package (`files` in package.json), at the same place relative to
 * the root in a checkout and in an installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError } from '../../../core/errors.js';

/** The directory of the `corral` package.json above `fromFile`. */
export function packageRoot(fromFile: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(fromFile);
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name === 'corral') return dir;
      } catch {
        // not ours; keep looking upwards
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new CorralError('internal', `no corral package.json above ${fromFile}`);
    dir = parent;
  }
}

export interface BundledPaths {
  root: string;
  moduleManifest: string;
  elevatedHost: string;
}

export function bundledPaths(root: string = packageRoot()): BundledPaths {
  return {
    root,
    moduleManifest: path.join(root, 'ps-module', 'Corral', 'Corral.psd1'),
    elevatedHost: path.join(root, 'orchestrator', 'provision', 'windows', 'elevated-host.ps1'),
  };
}

/**
 * Windows PowerShell 5.1 by absolute path: what runs elevated is never chosen by PATH, nor by
 * %SystemRoot% (the caller's environment): `systemRoot` is the known folder FOLDERID_Windows.
 */
export function windowsPowerShellExe(systemRoot: string): string {
  return path.win32.join(systemRoot, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}
