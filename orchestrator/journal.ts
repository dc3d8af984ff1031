/**
 * The provisioning journal: `<stateDir>/journal.jsonl`, one JSON record a line, mode 0600.
 *
 * Every step is journaled *before* it runs (`begin`, with the undo records that reverse
 * what it is about to change) and *after* (`done`, with the exact undo once known — e.g.
 * the ACL entries really added). Each append is fsync'ed before the step goes on, so a
 * crash at any point leaves a journal from which:
 *
 * - a re-run of setup converges (the planner diffs the machine, not the journal, and
 *   reuses pending undo records where the machine alone cannot tell what was there before);
 * - teardown restores the machine: it reverses every step that began and was not undone
 *   yet, newest first. A step that began but never finished is reversed with the undo
 *   recorded at `begin`; undo records are idempotent (removing what is absent is a no-op).
 *
 * Undo records are plain JSON (`{kind, ...}`); only the platform provisioner that wrote
 * them interprets them. This module never looks at the platform.
 *
 * A torn last line (a crash in the middle of a write) is ignored; an unreadable line
 * anywhere else is `state_corrupt`, never silently skipped.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../core/errors.js';
import { unwritableError } from './state-preflight.js';

export const JOURNAL_VERSION = 1;
export const JOURNAL_FILE = 'journal.jsonl';

/** What reverses one change; interpreted by the provisioner that wrote it. */
export interface UndoRecord {
  kind: string;
  [key: string]: unknown;
}

interface Base {
  v: typeof JOURNAL_VERSION;
  seq: number;
  time: string;
  step: string;
}

export type JournalEntry =
  | (Base & { op: 'begin'; title: string; undo: UndoRecord[] })
  | (Base & { op: 'done'; begin: number; undo: UndoRecord[] })
  | (Base & { op: 'failed'; begin: number; error: string })
  | (Base & { op: 'undo-begin'; targets: number[] })
  | (Base & { op: 'undone'; targets: number[] });

/** A step whose changes are still on the machine: it began and was not undone. */
export interface PendingStep {
  /** Sequence number of its `begin` record. */
  seq: number;
  step: string;
  title: string;
  /** `done`: finished; `begun`: crashed or failed part-way (undo is the planned one). */
  status: 'done' | 'begun';
  undo: UndoRecord[];
}

export class Journal {
  readonly file: string;
  private nextSeq: number | null = null;

  constructor(file: string) {
    this.file = file;
  }

  static inDir(stateDir: string): Journal {
    return new Journal(path.join(stateDir, JOURNAL_FILE));
  }

  /** Every record, oldest first. A missing file is an empty journal. */
  entries(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CorralError('state_corrupt', `${this.file}: cannot be read: ${(err as Error).message}`, { cause: err });
    }
    return parseJournal(text, this.file);
  }

  /** Steps whose changes are on the machine, oldest first. */
  pending(): PendingStep[] {
    return pendingSteps(this.entries());
  }

  begin(step: string, title: string, undo: UndoRecord[]): number {
    return this.append({ op: 'begin', step, title, undo });
  }

  done(step: string, begin: number, undo: UndoRecord[]): void {
    this.append({ op: 'done', step, begin, undo });
  }

  failed(step: string, begin: number, error: string): void {
    this.append({ op: 'failed', step, begin, error });
  }

  undoBegin(step: string, targets: number[]): void {
    this.append({ op: 'undo-begin', step, targets });
  }

  undone(step: string, targets: number[]): void {
    this.append({ op: 'undone', step, targets });
  }

  /** Remove the journal file (teardown's last act, once nothing is pending). */
  remove(): void {
    rmSync(this.file, { force: true });
    this.nextSeq = null;
  }

  private append(entry: { op: JournalEntry['op']; step: string } & Record<string, unknown>): number {
    if (this.nextSeq === null) {
      const all = this.entries();
      this.nextSeq = all.length === 0 ? 1 : all[all.length - 1]!.seq + 1;
    }
    const seq = this.nextSeq;
    const record = { v: JOURNAL_VERSION, seq, time: new Date().toISOString(), ...entry };
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o755 });
      // 0600: undo records name paths and accounts; only the administrator reads them.
      const fd = openSync(this.file, 'a', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // A record that cannot be written stops the run here: for a `begin`, before the
      // step changed anything (a torn line is ignored on replay).
      throw unwritableError(this.file, err);
    }
    this.nextSeq = seq + 1;
    return seq;
  }
}

const OPS = new Set(['begin', 'done', 'failed', 'undo-begin', 'undone']);

/** Parse journal text; a torn (unterminated, unparsable) last line is ignored. */
export function parseJournal(text: string, label: string): JournalEntry[] {
  const lines = text.split('\n');
  const out: JournalEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const isLast = i === lines.length - 1; // no newline after it: the write may have been cut
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (isLast) return;
      throw new CorralError('state_corrupt', `${label}: line ${i + 1} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    const e = value as Partial<JournalEntry>;
    if (e.v !== JOURNAL_VERSION) {
      throw new CorralError('state_corrupt', `${label}: line ${i + 1}: journal version ${JSON.stringify(e.v)} is not ${JOURNAL_VERSION}`);
    }
    if (typeof e.seq !== 'number' || typeof e.step !== 'string' || typeof e.op !== 'string' || !OPS.has(e.op)) {
      throw new CorralError('state_corrupt', `${label}: line ${i + 1}: not a journal record`);
    }
    out.push(value as JournalEntry);
  });
  return out;
}

/** Replay: which steps' changes are still on the machine, oldest first. */
export function pendingSteps(entries: readonly JournalEntry[]): PendingStep[] {
  const pending = new Map<number, PendingStep>();
  for (const e of entries) {
    switch (e.op) {
      case 'begin':
        pending.set(e.seq, { seq: e.seq, step: e.step, title: e.title, status: 'begun', undo: e.undo });
        break;
      case 'done': {
        const p = pending.get(e.begin);
        if (p !== undefined) {
          p.status = 'done';
          p.undo = e.undo;
        }
        break;
      }
      case 'failed':
        // Still pending: a failed step may have changed part of what it planned.
        break;
      case 'undo-begin':
        // Not undone until `undone`: a crash here leaves the target pending, and the
        // idempotent undo runs again.
        break;
      case 'undone':
        for (const t of e.targets) pending.delete(t);
        break;
    }
  }
  return [...pending.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The undo work for teardown: pending steps newest first, each undo record once (a record
 * repeated by a later re-apply of the same resource is run at its newest position), with
 * the `begin` sequence numbers each one settles.
 */
export function undoOrder(pending: readonly PendingStep[]): { undo: UndoRecord; targets: number[]; step: string; title: string }[] {
  const byKey = new Map<string, { undo: UndoRecord; targets: number[]; step: string; title: string }>();
  const order: string[] = [];
  const empty: number[] = [];
  for (const p of [...pending].reverse()) {
    if (p.undo.length === 0) {
      empty.push(p.seq);
      continue;
    }
    for (const u of [...p.undo].reverse()) {
      const key = JSON.stringify(u);
      const existing = byKey.get(key);
      if (existing !== undefined) {
        if (!existing.targets.includes(p.seq)) existing.targets.push(p.seq);
        continue;
      }
      byKey.set(key, { undo: u, targets: [p.seq], step: p.step, title: p.title });
      order.push(key);
    }
  }
  // A step with several undo records is settled only when the last of them has run.
  const items = order.map((k) => byKey.get(k)!);
  const lastIndexOf = new Map<number, number>();
  items.forEach((item, i) => item.targets.forEach((t) => lastIndexOf.set(t, i)));
  const result = items.map((item, i) => ({ ...item, targets: item.targets.filter((t) => lastIndexOf.get(t) === i) }));
  if (empty.length > 0 && result.length > 0) result[result.length - 1]!.targets.push(...empty);
  else if (empty.length > 0) result.push({ undo: { kind: 'none' }, targets: empty, step: 'journal', title: 'settle steps with nothing to undo' });
  return result;
}
