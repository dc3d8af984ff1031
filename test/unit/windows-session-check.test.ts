/**
 * Windows session decisions made before any token exists (runner/windows/session-check.ts),
 * the state/credential file contract (machine-state.ts) and where the runner finds its
 * installation (entry.ts). Pure; runs on every OS.
 */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { PROTOCOL_VERSION, type SessionRequest } from '../../core/protocol.js';
import { parseWindowsCredentials, parseWindowsState, samePath } from '../../os/win32/machine-state.js';
import { planWindowsSession } from '../../runner/windows/session-check.js';
import { installationFromRunnerPath } from '../../runner/windows/entry.js';

const FOLDERS = { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' };

const OFF = 'S-1-5-21-1-2-3-1001';
const ON = 'S-1-5-21-1-2-3-1002';
const CAP = 'S-1-5-21-9-9-9-1';
const CAP2 = 'S-1-5-21-9-9-9-2';
const OTHER_CAP = 'S-1-5-21-8-8-8-1';

const stateJson = JSON.stringify({
  version: 1,
  users: {
    alice: {
      sid: 'S-1-5-21-1-2-3-500',
      identities: { offline: { name: 'crl-off-alice', sid: OFF }, online: { name: 'crl-on-alice', sid: ON } },
      workspaces: [
        { path: 'C:\\Users\\alice\\proj', capabilitySid: CAP },
        { path: 'D:\\cache', capabilitySid: CAP2 },
      ],
    },
    bob: {
      sid: 'S-1-5-21-1-2-3-501',
      identities: { offline: { name: 'crl-off-bob', sid: 'S-1-5-21-1-2-3-2001' }, online: { name: 'crl-on-bob', sid: 'S-1-5-21-1-2-3-2002' } },
      workspaces: [{ path: 'C:\\Users\\bob\\proj', capabilitySid: OTHER_CAP }],
    },
  },
  runner: { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js' },
});
const state = parseWindowsState(stateJson, 'state.json');

function request(over: Partial<SessionRequest> = {}): SessionRequest {
  return {
    version: PROTOCOL_VERSION,
    realUser: 'alice',
    network: 'offline',
    mode: 'workspace-write',
    workspace: 'C:\\Users\\alice\\proj',
    writableRoots: [],
    protected: ['.git'],
    denyRead: [],
    loopback: 'deny',
    limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 64 },
    policyDigest: 'x',
    ...over,
  };
}

function refused(fn: () => unknown, code = 'runner_failed'): void {
  assert.throws(fn, (err: unknown) => isCorralError(err) && err.code === code);
}

describe('windows session check', () => {
  it('takes the capability SIDs from the state, for the workspace and granted writable roots', () => {
    const plan = planWindowsSession(request({ writableRoots: ['d:\\CACHE\\', 'E:\\nogrant'] }), state, OFF);
    assert.deepEqual(plan.writable, [
      { path: 'C:\\Users\\alice\\proj', capabilitySid: CAP },
      { path: 'D:\\cache', capabilitySid: CAP2 },
    ]);
    assert.equal(plan.identity.name, 'crl-off-alice');
    assert.match(plan.warnings.join('\n'), /E:\\nogrant has no workspace grant/);
  });

  it('refuses a capability SID that is not one of this session\'s grants (another user\'s, say)', () => {
    refused(() => planWindowsSession(request({ capabilitySids: [OTHER_CAP] }), state, OFF));
    assert.doesNotThrow(() => planWindowsSession(request({ capabilitySids: [CAP] }), state, OFF));
  });

  it('uses no capability SID in read-only mode', () => {
    assert.deepEqual(planWindowsSession(request({ mode: 'read-only', capabilitySids: [CAP] }), state, OFF).writable, []);
  });

  it('refuses a request for another real user than the owner of this identity', () => {
    refused(() => planWindowsSession(request({ realUser: 'bob', workspace: 'C:\\Users\\bob\\proj' }), state, OFF));
  });

  it('refuses an offline session on the online identity, allows online on the offline one', () => {
    refused(() => planWindowsSession(request({ network: 'offline' }), state, ON));
    assert.equal(planWindowsSession(request({ network: 'online' }), state, OFF).identity.kind, 'offline');
  });

  it('refuses an account that is no identity, full-access, relative paths and unprovisioned workspaces', () => {
    refused(() => planWindowsSession(request(), state, 'S-1-5-21-7-7-7-7'));
    refused(() => planWindowsSession(request({ mode: 'full-access' }), state, OFF));
    refused(() => planWindowsSession(request({ workspace: 'proj' }), state, OFF));
    refused(() => planWindowsSession(request({ writableRoots: ['..\\x'] }), state, OFF));
    refused(() => planWindowsSession(request({ workspace: 'C:\\Users\\alice\\other' }), state, OFF), 'not_provisioned');
    refused(() => planWindowsSession(request({ version: 99 }), state, OFF));
  });
});

describe('windows state and credential files', () => {
  it('names the file, the JSON path, what was expected and what was found', () => {
    const bad = JSON.stringify({ version: 1, users: { a: { sid: 'nope', identities: {}, workspaces: [] } } });
    assert.throws(() => parseWindowsState(bad, 'C:\\ProgramData\\Corral\\state.json'), /state\.json: \$\.users\["a"\]\.sid should be a SID .*found "nope"/);
    assert.throws(() => parseWindowsState('{"version":2}', 'state.json'), /\$\.version should be 1/);
    assert.throws(() => parseWindowsState('{', 'state.json'), /not JSON/);
  });

  it('reads the credential file contract', () => {
    const creds = parseWindowsCredentials(
      JSON.stringify({ offline: { user: 'crl-off-alice', protected: 'AQID' }, online: { user: 'crl-on-alice', protected: 'BAUG' } }),
      'c.json',
    );
    assert.equal(creds.offline.user, 'crl-off-alice');
    assert.throws(() => parseWindowsCredentials(JSON.stringify({ offline: { user: 'a', protected: 'not base64!' }, online: { user: 'b', protected: 'AA==' } }), 'c.json'), /base64/);
  });

  it('compares Windows paths case-insensitively, ignoring a trailing backslash', () => {
    assert.ok(samePath('C:\\Users\\Alice\\Proj\\', 'c:\\users\\alice\\proj'));
    assert.ok(!samePath('C:\\a', 'C:\\ab'));
  });

  it('finds the installation from the runner\'s install path, never from the environment', () => {
    const saved = process.env.ProgramFiles;
    process.env.ProgramFiles = 'C:\\Program Files';
    try {
      assert.equal(installationFromRunnerPath('C:\\Program Files\\Corral\\app\\dist\\runner\\main.js', FOLDERS).name, 'corral');
      assert.equal(installationFromRunnerPath('C:\\Program Files\\ctest1a\\app\\dist\\runner\\main.js', FOLDERS).name, 'ctest1a');
      assert.throws(() => installationFromRunnerPath('C:\\Users\\me\\checkout\\dist\\runner\\main.js', FOLDERS), /not inside a Corral installation/);
    } finally {
      if (saved === undefined) delete process.env.ProgramFiles;
      else process.env.ProgramFiles = saved;
    }
  });
});
