/**
 * The teardown plan, from the journal alone: every pending step reversed, newest first
 * (journal.ts `undoOrder`), then a last step that removes the recorded state and the
 * journal. The platform supplies how to describe and run each undo record.
 */
import { undoOrder, type Journal, type UndoRecord } from './journal.js';
import type { Plan, PlanStep } from './platform.js';

export interface Undoer {
  /** The exact commands / calls that reverse `undo` (for --dry-run). */
  describe(undo: UndoRecord): string[];
  /** Reverse it; must be idempotent (what is already gone stays gone). */
  run(undo: UndoRecord): Promise<void>;
  /** A short title for the step. */
  title(undo: UndoRecord): string;
}

export function teardownPlan(journal: Journal, undoer: Undoer, finalStep: PlanStep): Plan {
  const pending = journal.pending();
  const steps: PlanStep[] = undoOrder(pending).map((item, i) => ({
    id: `undo-${i + 1}:${item.step}`,
    title: item.undo.kind === 'none' ? item.title : undoer.title(item.undo),
    preview: item.undo.kind === 'none' ? [] : undoer.describe(item.undo),
    undo: [],
    reverts: item.targets,
    apply: async () => {
      if (item.undo.kind !== 'none') await undoer.run(item.undo);
    },
  }));
  steps.push(finalStep);
  return { action: 'teardown', steps, unchanged: [], warnings: [] };
}
