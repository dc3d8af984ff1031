import assert from 'node:assert/strict';
import { parseLinuxUndo } from '../../orchestrator/provision/linux/undo-records.js';
import type { UndoRecord } from '../../orchestrator/journal.js';

const corrupt = (e: { code?: string }) => e.code === 'state_corrupt';

describe('Linux undo records: one discriminated union, parsed field by field', () => {
  const good: UndoRecord[] = [
    { kind: 'delete-group', name: 'g' },
    { kind: 'delete-user', name: 'u', home: '/var/lib/corral/home/u' },
    { kind: 'remove-member', user: 'alice', group: 'corral' },
    { kind: 'delete-table', table: 'corral' },
    { kind: 'remove-tree', path: '/usr/local/lib/corral' },
    { kind: 'remove-file', path: '/etc/sudoers.d/corral' },
    { kind: 'restore-file', path: '/etc/sudoers.d/corral', content: 'eA==', mode: 0o440 },
    { kind: 'acl-revoke', root: '/home/a/ws', recursive: true, accounts: ['x'], uids: [990], before: {} },
  ];
  for (const u of good) {
    it(`accepts a well-formed ${u.kind}`, () => assert.deepEqual(parseLinuxUndo(u), u));
  }

  const bad: [string, UndoRecord][] = [
    ['unknown kind', { kind: 'rm-rf-slash' }],
    ['missing field', { kind: 'delete-user', name: 'u' }],
    ['empty string', { kind: 'delete-group', name: '' }],
    ['wrong type', { kind: 'delete-table', table: 7 }],
    ['negative mode', { kind: 'restore-file', path: '/x', content: '', mode: -1 }],
    ['uids not integers', { kind: 'acl-revoke', root: '/r', recursive: false, accounts: [], uids: ['990'], before: {} }],
    ['before not an object', { kind: 'acl-revoke', root: '/r', recursive: false, accounts: [], uids: [], before: [] }],
    ['recursive missing', { kind: 'acl-revoke', root: '/r', accounts: [], uids: [], before: {} }],
  ];
  for (const [why, u] of bad) {
    it(`refuses ${why} as state_corrupt`, () => assert.throws(() => parseLinuxUndo(u), corrupt));
  }
});
