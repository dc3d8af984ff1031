/** Plan and status text (issue 13.12): status marks share one column, whatever the state. */
import assert from 'node:assert/strict';
import { statusText } from '../../orchestrator/cli/plan-output.js';
import type { StatusReport } from '../../orchestrator/platform.js';

describe('status text', () => {
  it('lines up every description in one column (ok, MISSING, DRIFTED, unchecked)', () => {
    const report = {
      installation: 'corral',
      platform: 'linux',
      provisioned: true,
      warnings: [],
      items: (['ok', 'missing', 'drifted', 'unchecked'] as const).map((state) => ({ id: state, kind: 'user', description: `item ${state}`, state })),
    } as unknown as StatusReport;
    const columns = statusText(report)
      .split('\n')
      .filter((l) => l.includes('item '))
      .map((l) => l.indexOf('item '));
    assert.equal(columns.length, 4);
    assert.equal(new Set(columns).size, 1, `descriptions start at columns ${columns.join(', ')}`);
  });
});
