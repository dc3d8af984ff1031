/**
 * Running a Plan: each step journaled before and after it runs (journal.ts), shown as a
 * task (progress.ts). The first failing step stops the run; what it and earlier steps did
 * stays in the journal, so running the same command again converges (setup re-plans from
 * the machine; teardown continues with what is still pending). Nothing is left
 * "half-applied" without a journal record that says how to reverse it.
 */
import { CorralError, isCorralError } from '../core/errors.js';
import type { Journal } from './journal.js';
import type { Plan, PlanStep } from './platform.js';
import type { OutputMode } from './cli/output.js';
import { runTasks } from './progress.js';

export interface StepResult {
  id: string;
  title: string;
  status: 'applied' | 'failed' | 'not-run';
  error?: { code: string; message: string };
}

export interface ApplyResult {
  action: Plan['action'];
  ok: boolean;
  steps: StepResult[];
  unchanged: string[];
  warnings: string[];
}

async function runStep(step: PlanStep, journal: Journal | null): Promise<void> {
  if (step.journaled === false) {
    await step.apply();
    return;
  }
  if (journal === null) {
    // A journaled step needs a journal: never change the machine without the record that undoes it.
    throw new CorralError('internal', `${step.title}: the step must be journaled, but this provisioner has no journal`);
  }
  if (step.reverts !== undefined) {
    journal.undoBegin(step.id, step.reverts);
    await step.apply();
    journal.undone(step.id, step.reverts);
    return;
  }
  const seq = journal.begin(step.id, step.title, step.undo);
  try {
    const outcome = await step.apply();
    journal.done(step.id, seq, outcome?.undo ?? step.undo);
  } catch (err) {
    journal.failed(step.id, seq, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

export async function applyPlan(plan: Plan, journal: Journal | null, mode: OutputMode): Promise<ApplyResult> {
  const results: StepResult[] = plan.steps.map((s) => ({ id: s.id, title: s.title, status: 'not-run' }));
  const tasks = plan.steps.map((step, i) => ({
    title: step.title,
    run: async () => {
      try {
        await runStep(step, journal);
        results[i]!.status = 'applied';
      } catch (err) {
        const error = isCorralError(err)
          ? err
          : new CorralError('step_failed', `${step.title}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        results[i]!.status = 'failed';
        results[i]!.error = { code: error.code, message: error.message };
        throw error;
      }
    },
  }));
  await runTasks(mode, tasks);
  return { action: plan.action, ok: true, steps: results, unchanged: plan.unchanged, warnings: plan.warnings };
}
