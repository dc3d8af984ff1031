import assert from 'node:assert/strict';
import { applyPlan } from '../../orchestrator/apply-plan.js';
import type { Plan, PlanStep } from '../../orchestrator/platform.js';

function step(id: string, journaled: boolean, applied: string[]): PlanStep {
  return { id, title: id, preview: [], undo: [], journaled, apply: async () => void applied.push(id) };
}

describe('applyPlan without an orchestrator journal (Windows: the module journals)', () => {
  it('runs steps marked journaled: false', async () => {
    const applied: string[] = [];
    const plan: Plan = { action: 'setup', steps: [step('a', false, applied), step('b', false, applied)], unchanged: [], warnings: [] };
    const r = await applyPlan(plan, null, 'json');
    assert.equal(r.ok, true);
    assert.deepEqual(applied, ['a', 'b']);
  });

  it('refuses a journaled step before it changes anything', async () => {
    const applied: string[] = [];
    const plan: Plan = { action: 'setup', steps: [step('a', true, applied)], unchanged: [], warnings: [] };
    await assert.rejects(applyPlan(plan, null, 'json'), (err: unknown) => (err as { code?: string }).code === 'internal');
    assert.deepEqual(applied, []);
  });
});
