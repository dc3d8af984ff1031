/** Protected names on Windows (runner/windows/protected-plan.ts): pure, checked on every OS. */
import assert from 'node:assert/strict';
import { placeholderKind } from '../../core/protected-names.js';
import { checkProtectedName, planProtection, protectedTargets, ProtectedNameError, type EntryKind } from '../../runner/windows/protected-plan.js';

const WS = 'C:\\Users\\alice\\proj';
const CACHE = 'D:\\cache';

describe('windows protected names', () => {
  it('puts each name in each writable root, and absolute paths in the root that holds them', () => {
    const targets = protectedTargets([WS, CACHE], ['.git', 'C:\\Users\\alice\\proj\\sub\\.idea', 'E:\\elsewhere\\.x']);
    assert.deepEqual(targets, [
      { path: `${WS}\\.git`, root: WS, kind: 'dir' },
      { path: `${CACHE}\\.git`, root: CACHE, kind: 'dir' },
      { path: `${WS}\\sub\\.idea`, root: WS, kind: 'dir' },
    ]);
  });

  it('reserves each name with the kind core/protected-names.ts gives it (a directory when unlisted)', () => {
    const kinds = protectedTargets([WS], ['.git', '.mcp.json', '.npmrc', 'custom'], (n) => placeholderKind(n, 'corral')).map((t) => t.kind);
    assert.deepEqual(kinds, ['dir', 'file', 'file', 'dir']);
  });

  it('treats case variants as one entry (NTFS resolves `.GiT` to `.git`)', () => {
    assert.deepEqual(protectedTargets([WS], ['.git', '.GiT', '.GIT']).map((t) => t.path), [`${WS}\\.git`]);
    assert.deepEqual(protectedTargets(['c:\\users\\ALICE\\proj'], ['C:\\Users\\alice\\PROJ\\.vscode']).length, 1);
  });

  it('refuses spellings that alias another name: streams, trailing dots or spaces, separators', () => {
    for (const bad of ['.git:x', '.mcp.json::$DATA', '.git.', '.git ', 'a\\b', 'a/b', '', '.', '..', 'a|b', 'con\0']) {
      assert.throws(() => checkProtectedName(bad), ProtectedNameError, bad);
    }
    assert.throws(() => protectedTargets([WS], ['C:\\Users\\alice\\proj\\.git:x']), ProtectedNameError);
    assert.equal(checkProtectedName('.mcp.json'), '.mcp.json');
  });

  it('holds what exists, reserves what is missing in an existing directory, warns for a missing parent', () => {
    const disk: Record<string, EntryKind> = { [`${WS}\\.git`]: 'dir', [`${WS}\\.mcp.json`]: 'file', [WS]: 'dir', [`${WS}\\sub`]: 'dir' };
    const kind = (p: string): EntryKind => disk[p] ?? 'missing';
    const steps = planProtection(protectedTargets([WS], ['.git', '.mcp.json', '.vscode', `${WS}\\sub\\.idea`, `${WS}\\gone\\.x`]), kind);
    assert.deepEqual(steps, [
      { op: 'hold', path: `${WS}\\.git`, root: WS },
      { op: 'hold', path: `${WS}\\.mcp.json`, root: WS },
      { op: 'reserve', path: `${WS}\\.vscode`, kind: 'dir' },
      { op: 'reserve', path: `${WS}\\sub\\.idea`, kind: 'dir' },
      { op: 'warn', path: `${WS}\\gone\\.x`, message: `protected path ${WS}\\gone\\.x is not reserved: its parent directory does not exist` },
    ]);
  });

  it('refuses a protected entry that is a link or junction (a command could replace it)', () => {
    assert.throws(() => planProtection([{ path: `${WS}\\.git`, root: WS, kind: 'dir' }], () => 'reparse'), /link or junction/);
  });
});
