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

describe('status text: findings with a remedy (issue 13.9)', () => {
  it('prints the remedy and code of a finding on the line under it, lined up with the descriptions; not for ok items', () => {
    const report = {
      installation: 'corral',
      platform: 'linux',
      provisioned: true,
      warnings: [],
      items: [
        { id: 'a', kind: 'config', description: 'item a', state: 'drifted', detail: 'bad', remedy: 'fix a', code: 'config_invalid' },
        { id: 'b', kind: 'home', description: 'item b', state: 'ok', remedy: 'never shown' },
      ],
    } as unknown as StatusReport;
    const lines = statusText(report).split('\n');
    const at = lines.findIndex((l) => l.includes('item a'));
    assert.equal(lines[at + 1]!.indexOf('→ fix a [config_invalid]'), lines[at]!.indexOf('item a'));
    assert.ok(!lines.some((l) => l.includes('never shown')));
  });
});
