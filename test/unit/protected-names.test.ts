/** The shared protected-name list (core/protected-names.ts): complete, one kind each, per installation. */
import assert from 'node:assert/strict';
import { defaultProtectedNames, placeholderKind, protectedNames } from '../../core/protected-names.js';
import { placeholderExcludePatterns } from '../../runner/linux/placeholder-excludes.js';

describe('protected names (shared by both platforms)', function () {
  it('holds the agent and tool configuration class, each with its kind and the tool that reads it', function () {
    const list = protectedNames('corral');
    const dirs = ['.git', '.corral', '.vscode', '.idea', '.claude', '.codex', '.cursor', '.gemini', '.agents', '.continue', '.windsurf', '.devcontainer'];
    const files = ['.mcp.json', '.envrc', '.env', '.npmrc', '.yarnrc', '.yarnrc.yml', '.pnpmfile.cjs', '.gitmodules', '.gitattributes', 'mise.toml', '.mise.toml', '.tool-versions', '.bashrc', '.zshrc'];
    for (const name of dirs) assert.equal(list.find((p) => p.name === name)?.kind, 'dir', name);
    for (const name of files) assert.equal(list.find((p) => p.name === name)?.kind, 'file', name);
    for (const p of list) assert.ok(p.readBy.length > 10, `${p.name} names the tool that reads it`);
    assert.equal(new Set(list.map((p) => p.name)).size, list.length, 'no duplicates');
    for (const p of list) assert.doesNotMatch(p.name, /[/\\]/, `${p.name} is a name, not a path`);
  });

  it('follows the installation name for the workspace config directory', function () {
    assert.ok(defaultProtectedNames('ctest1a2b3c').includes('.ctest1a2b3c'));
    assert.ok(!defaultProtectedNames('ctest1a2b3c').includes('.corral'));
    assert.equal(placeholderKind('.ctest1a2b3c', 'ctest1a2b3c'), 'dir');
  });

  it('reserves a name it does not know with a directory', function () {
    assert.equal(placeholderKind('secrets', 'corral'), 'dir');
  });

  it('tells the session\'s git to ignore file placeholders only, anchored where the root is a repository', function () {
    const patterns = placeholderExcludePatterns(
      [
        { op: 'reserve', root: '/repo', name: '.env', kind: 'file' },
        { op: 'reserve', root: '/repo', name: '.claude', kind: 'dir' },
        { op: 'reserve', root: '/plain', name: '.npmrc', kind: 'file' },
        { op: 'bind', path: '/repo/.git' },
      ],
      (dir) => dir === '/repo',
    );
    assert.deepEqual(patterns, ['/.env', '.npmrc']);
  });
});
