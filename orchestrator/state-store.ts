/**
 * Reading and writing `<stateDir>/state.json` (the MachineState record of state.ts).
 *
 * Writes are atomic: a temp file in the same directory, written, fsync'ed, renamed over
 * the old one, then the directory fsync'ed — a reader sees the old or the new record,
 * never half of one. The file is created by the elevated provisioner, so it is owned by
 * root / Administrators; mode 0644 (it holds no secrets; see state.ts).
 *
 * Readers refuse a version they do not know with `state_corrupt` rather than guess.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CorralError } from '../core/errors.js';
import { emptyState, STATE_VERSION, type MachineState } from '../core/state.js';

export const STATE_FILE = 'state.json';

/** Parse and check a state document; `label` names the file in errors. */
export function parseState(text: string, label: string): MachineState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorralError('state_corrupt', `${label}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorralError('state_corrupt', `${label}: expected an object`);
  }
  const s = value as Partial<MachineState>;
  if (s.version !== STATE_VERSION) {
    throw new CorralError(
      'state_corrupt',
      `${label}: state version ${JSON.stringify(s.version)} is not the supported version ${STATE_VERSION}; use the Corral release that wrote it to tear down, or remove the file`,
      { details: { file: label, version: s.version } },
    );
  }
  if (typeof s.installation !== 'string' || typeof s.users !== 'object' || s.users === null) {
    throw new CorralError('state_corrupt', `${label}: missing installation or users`);
  }
  return value as MachineState;
}

/** Read state.json; null when it does not exist. */
export function readStateFile(file: string): MachineState | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CorralError('state_corrupt', `${file}: cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return parseState(text, file);
}

/** Write atomically (temp file, fsync, rename, fsync the directory). */
export function writeStateFile(file: string, state: MachineState): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The state of one installation, read once and updated step by step. */
export class StateStore {
  readonly file: string;
  private readonly installation: string;
  private cached: MachineState | null | undefined;

  constructor(stateDir: string, installation: string) {
    this.file = path.join(stateDir, STATE_FILE);
    this.installation = installation;
  }

  /** The recorded state, or null when nothing is recorded. */
  read(): MachineState | null {
    if (this.cached === undefined) this.cached = readStateFile(this.file);
    return this.cached === null ? null : structuredClone(this.cached);
  }

  /** The recorded state, or an empty one. */
  current(): MachineState {
    return this.read() ?? emptyState(this.installation);
  }

  /** Apply `change` to the current state and write it atomically. */
  update(change: (state: MachineState) => void): MachineState {
    const next = this.current();
    change(next);
    writeStateFile(this.file, next);
    this.cached = structuredClone(next);
    return next;
  }

  remove(): void {
    rmSync(this.file, { force: true });
    this.cached = null;
  }
}
