/** core/workspace-id.ts: the name of a workspace's own folder, shared by both runners and the PowerShell module. */
import assert from 'node:assert/strict';
import { workspaceHomeName } from '../../core/workspace-id.js';
import { workspaceHomeName as linuxName } from '../../runner/linux/workspace-home.js';

describe('workspace id (core/workspace-id.ts)', () => {
  // The same vectors pin the module's Get-CorralWorkspaceProfileName (Pester/Private/Get-CorralWorkspaceProfileName.Tests.ps1).
  const vectors: Array<[string, string]> = [
    ['C:\\src\\app', 'ws-223479b1852924db'],
    ['/home/alice/src/app', 'ws-41c4bb30bf24d8af'],
    ['C:\\Users\\Zoë\\ws', 'ws-36ca500db85e6598'],
  ];
  for (const [path, name] of vectors) {
    it(`names ${JSON.stringify(path)} ${name} (SHA-256 of the UTF-8 path, 16 hex digits)`, () => {
      assert.equal(workspaceHomeName(path), name);
    });
  }

  it('is the function the Linux runner names homes with', () => {
    assert.equal(linuxName, workspaceHomeName);
  });

  it('gives two workspaces two names, and keeps nothing of the path', () => {
    assert.notEqual(workspaceHomeName('C:\\src\\a'), workspaceHomeName('C:\\src\\b'));
    assert.match(workspaceHomeName('C:\\secret-project'), /^ws-[0-9a-f]{16}$/);
  });

  it('hashes the spelling it is given: callers pass the path the state records (Windows compares paths without case)', () => {
    assert.notEqual(workspaceHomeName('C:\\Src\\App'), workspaceHomeName('C:\\src\\app'));
  });
});
