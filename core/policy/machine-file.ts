/**
 * Reading the machine config layer as a privileged process must: only from a file that
 * nobody but root (Windows: Administrators) can change, checked as state.json is, since
 * whoever could write it could unlock every key. The check is per platform, behind
 * `MachineFileTrust` (Linux: os/linux/root-owned.ts firstUnsafeAncestor; Windows:
 * os/win32/machine-file.ts, the file and its folder owned by Administrators or SYSTEM — the
 * check state.json gets; their DACLs are not read). Shared by the runner (authority) and the CLI (same
 * refusal, early). No schema library here: the caller validates the parsed JSON
 * (validate-layer.ts, loaded lazily).
 */
import { readFileSync } from 'node:fs';
import { CorralError } from '../errors.js';

export interface MachineFileTrust {
  /** The first path (the file or an ancestor) someone other than root/Administrators could change, or null. */
  firstUnsafe(file: string): { path: string; reason: string } | null;
  /** What the administrator should do (default: the Linux chown/chmod advice). */
  remedy?: string;
}

export interface MachineFileIo {
  /** The file's text, or null when it does not exist (ENOENT). */
  read(file: string): string | null;
}

/** Reading the file from disk (both platforms): its text, null when it does not exist. */
export const machineFileIo: MachineFileIo = {
  read(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
};

/** Parsed JSON of the machine config, null when there is none; config_invalid when untrusted or not JSON. */
export function readMachineFile(file: string, io: MachineFileIo, trust: MachineFileTrust): unknown {
  let text: string | null;
  try {
    text = io.read(file);
  } catch (err) {
    throw new CorralError('config_invalid', `${file}: the machine config cannot be read: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  if (text === null) return null;
  const unsafe = trust.firstUnsafe(file);
  if (unsafe !== null) {
    throw new CorralError(
      'config_invalid',
      `${file}: refusing the machine config: ${unsafe.path} ${unsafe.reason}; ${trust.remedy ?? 'only root may be able to change it (chown root:root and chmod go-w the file and its directories)'}`,
      { details: { file, path: unsafe.path, reason: unsafe.reason } },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CorralError('config_invalid', `${file}: $: expected JSON, found a syntax error: ${(err as Error).message}`, { cause: err, details: { file, path: '$' } });
  }
}
