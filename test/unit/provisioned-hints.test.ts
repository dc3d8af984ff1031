/**
 * Not-provisioned remedies never suggest provisioning a shared place, the whole home or another
 * user's directory (issue 13.10); a project directory gets the exact command.
 */
import assert from 'node:assert/strict';
import { checkProvisioned, unsuitableWorkspace } from '../../orchestrator/session/provisioned.js';
import { posixPaths } from '../../core/paths.js';
import { isCorralError } from '../../core/errors.js';

const provisioned = { runnerInstalled: true, user: { workspaces: ['/home/alice/src/app'], network: 'offline' as const } };

function messageFor(workspace: string, ctx: { home?: string; ownedByUser?: boolean }): string {
  try {
    checkProvisioned(provisioned, 'alice', workspace, posixPaths, ctx);
  } catch (err) {
    assert.ok(isCorralError(err, 'not_provisioned'));
    return err.message;
  }
  throw new Error('expected not_provisioned');
}

describe('not-provisioned remedies', () => {
  it('refuse to suggest /, /tmp, /home, the home itself or above it, or a directory another user owns', () => {
    for (const ws of ['/', '/tmp', '/var/tmp', '/home', '/etc']) assert.match(unsuitableWorkspace(ws, {}) ?? '', /shared or system/, ws);
    assert.match(unsuitableWorkspace('/home/alice', { home: '/home/alice' }) ?? '', /whole home/);
    assert.match(unsuitableWorkspace('/home', { home: '/home/alice' }) ?? '', /shared or system/);
    assert.match(unsuitableWorkspace('/data/alice', { home: '/data/alice/home' }) ?? '', /home or above it/);
    assert.match(unsuitableWorkspace('/home/bob/src', { home: '/home/alice', ownedByUser: false }) ?? '', /another user/);
    assert.equal(unsuitableWorkspace('/home/alice/src/web', { home: '/home/alice', ownedByUser: true }), null);
    for (const ws of ['/tmp', '/home/alice', '/home/bob/src']) {
      const message = messageFor(ws, { home: '/home/alice', ownedByUser: ws !== '/home/bob/src' });
      assert.doesNotMatch(message, new RegExp(`--workspace ${ws.replace(/\//g, '\\/')}\\b`), message);
      assert.match(message, /--workspace DIR/);
    }
  });

  it('name the exact command for a project directory of the user', () => {
    const message = messageFor('/home/alice/src/web', { home: '/home/alice', ownedByUser: true });
    assert.match(message, /run `sudo corral setup --user alice --workspace \/home\/alice\/src\/web` first/);
  });
});
