import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isCorralError } from '../../core/errors.js';
import { Journal, parseJournal, pendingSteps, undoOrder, type UndoRecord } from '../../orchestrator/journal.js';
import { applyPlan } from '../../orchestrator/apply-plan.js';
import { teardownPlan } from '../../orchestrator/teardown-plan.js';
import type { Plan, PlanStep } from '../../orchestrator/platform.js';

function tempJournal(): { journal: Journal; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-journal-'));
  return { journal: Journal.inDir(path.join(dir, 'state')), dir };
}

/** A tiny "machine": a set of resources steps add and undo records remove. */
function machineSteps(machine: Set<string>, names: string[], failOn?: string): PlanStep[] {
  return names.map((name) => ({
    id: `res:${name}`,
    title: `create ${name}`,
    preview: [`create ${name}`],
    undo: [{ kind: 'remove', name }],
    apply: async () => {
      machine.add(name);
      if (name === failOn) throw new Error(`simulated failure after creating ${name}`);
    },
  }));
}

function plan(steps: PlanStep[]): Plan {
  return { action: 'setup', steps, unchanged: [], warnings: [] };
}

describe('journal', () => {
  it('journals begin and done with the undo, in a 0600 file', async () => {
    const { journal, dir } = tempJournal();
    try {
      const machine = new Set<string>();
      await applyPlan(plan(machineSteps(machine, ['a', 'b'])), journal, 'json');
      const entries = journal.entries();
      assert.deepEqual(
        entries.map((e) => `${e.op}:${e.step}`),
        ['begin:res:a', 'done:res:a', 'begin:res:b', 'done:res:b'],
      );
      assert.equal(statSync(journal.file).mode & 0o777, 0o600);
      assert.deepEqual(
        journal.pending().map((p) => [p.step, p.status]),
        [
          ['res:a', 'done'],
          ['res:b', 'done'],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing step stops the run, stays pending with its planned undo, and teardown removes exactly what was created', async () => {
    const { journal, dir } = tempJournal();
    try {
      const machine = new Set<string>(['preexisting']);
      await assert.rejects(applyPlan(plan(machineSteps(machine, ['a', 'b', 'c'], 'b')), journal, 'json'));
      assert.deepEqual([...machine].sort(), ['a', 'b', 'preexisting']);
      const pending = journal.pending();
      assert.deepEqual(
        pending.map((p) => [p.step, p.status]),
        [
          ['res:a', 'done'],
          ['res:b', 'begun'],
        ],
      );
      // Re-run converges: only what is missing is planned (the planner diffs the machine).
      const missing = ['a', 'b', 'c'].filter((n) => !machine.has(n));
      await applyPlan(plan(machineSteps(machine, missing)), journal, 'json');
      assert.deepEqual([...machine].sort(), ['a', 'b', 'c', 'preexisting']);

      const undoer = {
        title: (u: UndoRecord) => `remove ${String(u.name)}`,
        describe: (u: UndoRecord) => [`remove ${String(u.name)}`],
        run: async (u: UndoRecord) => {
          machine.delete(String(u.name));
        },
      };
      const finalStep: PlanStep = { id: 'forget', title: 'forget', preview: [], undo: [], journaled: false, apply: async () => journal.remove() };
      const teardown = teardownPlan(journal, undoer, finalStep);
      assert.deepEqual(
        teardown.steps.map((s) => s.title),
        ['remove c', 'remove b', 'remove a', 'forget'],
      );
      await applyPlan(teardown, journal, 'json');
      assert.deepEqual([...machine], ['preexisting']);
      assert.deepEqual(journal.entries(), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a teardown interrupted part-way continues with what is still pending', async () => {
    const { journal, dir } = tempJournal();
    try {
      const machine = new Set<string>();
      await applyPlan(plan(machineSteps(machine, ['a', 'b'])), journal, 'json');
      let calls = 0;
      const flaky = {
        title: (u: UndoRecord) => `remove ${String(u.name)}`,
        describe: () => [],
        run: async (u: UndoRecord) => {
          if (++calls === 2) throw new Error('crash during teardown');
          machine.delete(String(u.name));
        },
      };
      const final: PlanStep = { id: 'forget', title: 'forget', preview: [], undo: [], journaled: false, apply: async () => journal.remove() };
      await assert.rejects(applyPlan(teardownPlan(journal, flaky, final), journal, 'json'));
      assert.deepEqual([...machine], ['a']);
      assert.deepEqual(journal.pending().map((p) => p.step), ['res:a']);
      const again = teardownPlan(journal, flaky, final);
      assert.deepEqual(again.steps.map((s) => s.title), ['remove a', 'forget']);
      await applyPlan(again, journal, 'json');
      assert.deepEqual([...machine], []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores a torn last line but refuses a corrupt line elsewhere and unknown versions', () => {
    const { journal, dir } = tempJournal();
    try {
      journal.begin('s1', 'one', [{ kind: 'remove', name: 'x' }]);
      appendFileSync(journal.file, '{"v":1,"seq":2,"ti');
      assert.equal(journal.entries().length, 1);
      writeFileSync(journal.file, `not json\n${readFileSync(journal.file, 'utf8')}`);
      assert.throws(() => journal.entries(), (e: unknown) => isCorralError(e, 'state_corrupt'));
      assert.throws(
        () => parseJournal('{"v":2,"seq":1,"op":"begin","step":"x","title":"t","undo":[]}\n', 'j'),
        (e: unknown) => isCorralError(e, 'state_corrupt'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('undoOrder runs each undo record once, at its newest position, newest first', () => {
    const pending = pendingSteps(
      parseJournal(
        [
          { v: 1, seq: 1, time: '', op: 'begin', step: 'group', title: 'g', undo: [{ kind: 'delete-group', name: 'g' }] },
          { v: 1, seq: 2, time: '', op: 'done', step: 'group', begin: 1, undo: [{ kind: 'delete-group', name: 'g' }] },
          { v: 1, seq: 3, time: '', op: 'begin', step: 'fw', title: 'fw', undo: [{ kind: 'delete-table', table: 't' }] },
          { v: 1, seq: 4, time: '', op: 'done', step: 'fw', begin: 3, undo: [{ kind: 'delete-table', table: 't' }] },
          { v: 1, seq: 5, time: '', op: 'begin', step: 'repair', title: 'r', undo: [] },
          { v: 1, seq: 6, time: '', op: 'begin', step: 'fw', title: 'fw again', undo: [{ kind: 'delete-table', table: 't' }] },
        ]
          .map((e) => JSON.stringify(e))
          .join('\n') + '\n',
        'j',
      ),
    );
    const order = undoOrder(pending);
    assert.deepEqual(
      order.map((o) => [o.undo.kind, o.targets.sort()]),
      [
        ['delete-table', [3, 6]],
        ['delete-group', [1, 5]],
      ],
    );
  });
});
