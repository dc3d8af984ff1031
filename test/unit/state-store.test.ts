import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isCorralError } from '../../core/errors.js';
import { readStateFile, StateStore } from '../../orchestrator/state-store.js';
import { emptyState } from '../../core/state.js';

describe('state store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'corral-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads nothing when absent, writes atomically (no temp files left), mode 0644', () => {
    const store = new StateStore(dir, 'ctestx');
    assert.equal(store.read(), null);
    store.update((s) => {
      s.sandboxGroup = { name: 'ctestx-sandbox', gid: 990 };
    });
    assert.deepEqual(readdirSync(dir), ['state.json']);
    assert.equal(statSync(store.file).mode & 0o777, 0o644);
    const again = new StateStore(dir, 'ctestx').read();
    assert.deepEqual(again, { ...emptyState('ctestx'), sandboxGroup: { name: 'ctestx-sandbox', gid: 990 } });
  });

  it('refuses unknown versions and non-JSON with state_corrupt', () => {
    const file = path.join(dir, 'state.json');
    writeFileSync(file, JSON.stringify({ ...emptyState('x'), version: 99 }));
    assert.throws(() => readStateFile(file), (e: unknown) => isCorralError(e, 'state_corrupt'));
    writeFileSync(file, '{');
    assert.throws(() => readStateFile(file), (e: unknown) => isCorralError(e, 'state_corrupt'));
  });
});
