/**
 * The pure planner of `corral setup --remove-workspace` (orchestrator/provision/linux/
 * remove-workspace-plan.ts): recorded state + pending journal steps + existing homes in, step
 * descriptors out. Shared traverse entries, a run killed at each point (what a re-run plans),
 * nested workspaces, another user's records on the same directory.
 */
import assert from 'node:assert/strict';
import { emptyState, type MachineState, type WorkspaceRecord } from '../../core/state.js';
import { isCorralError } from '../../core/errors.js';
import type { PendingStep, UndoRecord } from '../../orchestrator/journal.js';
import { isKnown, planRemoveWorkspace, type RemoveStepSpec, type RemoveWorkspaceFacts } from '../../orchestrator/provision/linux/remove-workspace-plan.js';

const HOME = '/home/alice';
const A = `${HOME}/a`;
const B = `${HOME}/b`;
const ids = { offline: 'c-off-alice', online: 'c-on-alice' };

function traverseRecord(dir: string, accounts = [ids.offline, ids.online]): UndoRecord {
  return { kind: 'acl-revoke', root: dir, recursive: false, accounts, uids: [2001, 2002], before: {} };
}
function grantRecord(ws: string): UndoRecord {
  return { kind: 'acl-revoke', root: ws, recursive: true, accounts: [ids.offline, ids.online, 'alice'], uids: [2001, 2002, 1000], before: {} };
}
function step(seq: number, id: string, undo: UndoRecord[]): PendingStep {
  return { seq, step: id, title: id, status: 'done', undo };
}
function ws(p: string, traverse: string[] = [HOME]): WorkspaceRecord {
  return { path: p, access: 'acl', protectedPaths: [], traverse };
}
function state(workspaces: WorkspaceRecord[]): MachineState {
  const s = emptyState('c');
  s.users.alice = {
    realUser: { name: 'alice', uid: 1000, gid: 1000, home: HOME },
    identities: { offline: { name: ids.offline, uid: 2001, gid: 2000 }, online: { name: ids.online, uid: 2002, gid: 2000 } },
    network: 'offline',
    workspaces: Object.fromEntries(workspaces.map((w) => [w.path, w])),
  };
  return s;
}
function facts(over: Partial<RemoveWorkspaceFacts>): RemoveWorkspaceFacts {
  return { workspace: A, realUser: 'alice', recorded: state([ws(A), ws(B)]), pending: [], identities: ids, homes: [], ...over };
}
const kinds = (steps: RemoveStepSpec[]) => steps.map((s) => s.kind);
const revoked = (steps: RemoveStepSpec[]) => steps.flatMap((s) => (s.kind === 'revoke' ? [`${s.undo.root}${s.undo.recursive ? ' -R' : ''}`] : []));
const reverts = (steps: RemoveStepSpec[]) => steps.flatMap((s) => (s.kind === 'revoke' || s.kind === 'settle' ? s.reverts : [])).sort();

describe('linux remove-workspace planner', () => {
  it('both workspaces set up in one run (each traverse step holds the home\'s record): the grant goes, the home\'s entries stay, no keep step needed', () => {
    const pending = [step(1, `grant:${A}`, [grantRecord(A)]), step(2, `traverse:${A}`, [traverseRecord(HOME)]), step(3, `grant:${B}`, [grantRecord(B)]), step(4, `traverse:${B}`, [traverseRecord(HOME)])];
    const p = planRemoveWorkspace(facts({ pending, homes: ['/h/off/ws-1'] }));
    assert.deepEqual(kinds(p.steps), ['state', 'revoke', 'homes']);
    assert.deepEqual(revoked(p.steps), [`${A} -R`]);
    assert.deepEqual(reverts(p.steps), [1, 2]);
    assert.ok(p.unchanged.some((u) => u.includes(`${HOME} stays traversable`) && u.includes(B)));
  });

  it('the home\'s record held only by the removed workspace\'s step, another workspace needing it: journaled again (keep) before that step is settled', () => {
    const pending = [step(1, `grant:${A}`, [grantRecord(A)]), step(2, `traverse:${A}`, [traverseRecord(HOME)]), step(3, `grant:${B}`, [grantRecord(B)])];
    const p = planRemoveWorkspace(facts({ pending }));
    assert.deepEqual(kinds(p.steps), ['state', 'keep', 'revoke']);
    const keep = p.steps[1] as Extract<RemoveStepSpec, { kind: 'keep' }>;
    assert.deepEqual(keep.undo, [traverseRecord(HOME)]);
    assert.deepEqual(reverts(p.steps), [1, 2]);
    assert.deepEqual(revoked(p.steps), [`${A} -R`]);
  });

  it('later removing the other workspace finds the kept record and revokes it (nobody needs the home any more)', () => {
    const pending = [step(3, `grant:${B}`, [grantRecord(B)]), step(9, `keep:${A}`, [traverseRecord(HOME)])];
    const p = planRemoveWorkspace(facts({ workspace: B, recorded: state([ws(B)]), pending }));
    assert.deepEqual(revoked(p.steps), [`${B} -R`, HOME]);
    assert.deepEqual(reverts(p.steps), [3, 9]);
    // Settled with the last revoke only: a run killed between them revokes both again.
    assert.deepEqual(p.steps.filter((s) => s.kind === 'revoke').map((s) => (s as { reverts: number[] }).reverts.length), [0, 2]);
  });

  it('a traverse record of another user on the same directory is left alone', () => {
    const theirs = traverseRecord(HOME, ['c-off-bob', 'c-on-bob']);
    const pending = [step(1, `grant:${A}`, [grantRecord(A)]), step(2, `traverse:${A}`, [traverseRecord(HOME)]), step(5, 'traverse:/home/bob/x', [theirs])];
    const p = planRemoveWorkspace(facts({ recorded: state([ws(A)]), pending }));
    assert.deepEqual(revoked(p.steps), [`${A} -R`, HOME]);
    assert.deepEqual(reverts(p.steps), [1, 2]);
  });

  it('killed after the state step: the workspace is still known from the journal, and the re-run revokes', () => {
    const pending = [step(1, `grant:${A}`, [grantRecord(A)]), step(2, `traverse:${A}`, [traverseRecord(HOME)])];
    const f = facts({ recorded: state([]), pending, homes: ['/h/off/ws-1'] });
    assert.equal(isKnown(f, A), true);
    const p = planRemoveWorkspace(f);
    assert.deepEqual(kinds(p.steps), ['revoke', 'revoke', 'homes']);
    assert.deepEqual(revoked(p.steps), [`${A} -R`, HOME]);
  });

  it('killed after the revokes: only the homes are left, found on disk', () => {
    const f = facts({ recorded: state([ws(B)]), pending: [], homes: ['/h/off/ws-1', '/h/on/ws-1'] });
    assert.equal(isKnown(f, A), true);
    assert.deepEqual(kinds(planRemoveWorkspace(f).steps), ['homes']);
  });

  it('nothing left of it: not known (the CLI says not_provisioned)', () => {
    assert.equal(isKnown(facts({ recorded: state([ws(B)]) }), A), false);
  });

  it('an idmapped workspace whose ancestors needed nothing: just the state record and the homes', () => {
    const p = planRemoveWorkspace(facts({ recorded: state([{ path: A, access: 'idmap', traverse: [] }]), homes: ['/h/off/ws-1'] }));
    assert.deepEqual(kinds(p.steps), ['state', 'homes']);
  });

  it('nested workspaces are refused (workspace_invalid): one grant covers the other', () => {
    const inner = `${A}/inner`;
    for (const target of [A, inner]) {
      assert.throws(
        () => planRemoveWorkspace(facts({ workspace: target, recorded: state([ws(A), ws(inner, [HOME, A])]) })),
        (e: unknown) => isCorralError(e, 'workspace_invalid'),
      );
    }
  });
});
