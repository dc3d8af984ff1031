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
import { parseSessionRequest } from '../../core/request-shape.js';
import { windowsPaths } from '../../core/paths.js';
import { planWithinPolicy, windowsEnforcedPolicy } from '../../runner/windows/session-policy.js';
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

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isCorralError(err) && err.code === code);
}

/** As the runner does: the shared shape check for Windows paths (runner/start.ts), then the plan. */
function plan(req: SessionRequest, sid: string): ReturnType<typeof planWindowsSession> {
  return planWindowsSession(parseSessionRequest(req, windowsPaths), state, sid);
}

describe('windows session check', () => {
  it('takes the capability SIDs from the state, for the workspace and granted writable roots', () => {
    const planned = plan(request({ writableRoots: ['d:\\CACHE\\', 'E:\\nogrant'] }), OFF);
    assert.deepEqual(planned.writable, [
      { path: 'C:\\Users\\alice\\proj', capabilitySid: CAP },
      { path: 'D:\\cache', capabilitySid: CAP2 },
    ]);
    assert.equal(planned.identity.name, 'crl-off-alice');
    assert.match(planned.warnings.join('\n'), /E:\\nogrant has no workspace grant/);
  });

  it('refuses a capability SID that is not one of this session\'s grants (another user\'s, say)', () => {
    refused(() => plan(request({ capabilitySids: [OTHER_CAP] }), OFF), 'not_permitted');
    assert.doesNotThrow(() => plan(request({ capabilitySids: [CAP] }), OFF));
  });

  it('uses no capability SID in read-only mode, but still names the workspace grant\'s (the DACL of its profile folders)', () => {
    const p = plan(request({ mode: 'read-only', capabilitySids: [CAP] }), OFF);
    assert.deepEqual(p.writable, []);
    assert.equal(p.workspaceCapabilitySid, CAP);
  });

  it('refuses a request for another real user than the owner of this identity', () => {
    refused(() => plan(request({ realUser: 'bob', workspace: 'C:\\Users\\bob\\proj' }), OFF), 'not_permitted');
  });

  it('refuses an offline session on the online identity, allows online on the offline one', () => {
    refused(() => plan(request({ network: 'offline' }), ON), 'not_permitted');
    assert.equal(plan(request({ network: 'online' }), OFF).identity.kind, 'offline');
  });

  it('refuses an account that is no identity, full-access, relative paths and unprovisioned workspaces', () => {
    refused(() => plan(request(), 'S-1-5-21-7-7-7-7'), 'not_provisioned');
    refused(() => plan(request({ mode: 'full-access' }), OFF), 'request_invalid');
    refused(() => plan(request({ workspace: 'proj' }), OFF), 'request_invalid');
    refused(() => plan(request({ writableRoots: ['..\\x'] }), OFF), 'request_invalid');
    refused(() => plan(request({ workspace: 'C:\\Users\\alice\\other' }), OFF), 'not_provisioned');
    refused(() => plan(request({ version: 99 }), OFF), 'request_invalid');
  });
});

describe('windows policy floor (session-policy.ts: the merge the Linux runner applies)', () => {
  const ctx = { installation: 'corral', home: 'C:\\Users\\alice', canonical: (p: string) => p, totalMemoryBytes: 8 * 2 ** 30 };
  const machine = { label: 'C:\\ProgramData\\Corral\\config.json', data: { protected: ['.secrets'], limits: { pids: 32 }, env: { allow: [], set: { CORP: '1' } } } };

  it('enforces the union of protected names, the lower limit, and a digest of what is enforced', () => {
    const req = parseSessionRequest(request({ protected: [] }), windowsPaths);
    const policy = windowsEnforcedPolicy(req, planWindowsSession(req, state, OFF), machine, ctx);
    assert.ok(policy.protected.includes('.secrets') && policy.protected.includes('.git'), policy.protected.join(','));
    assert.equal(policy.limits.pids, 32);
    assert.notEqual(policy.digest, windowsEnforcedPolicy(req, planWindowsSession(req, state, OFF), null, ctx).digest);
  });

  it("refuses the user's profile folder as a writable root (not_permitted), and keeps only roots the floor allows", () => {
    const home = parseSessionRequest(request({ workspace: 'C:\\Users\\alice\\proj', writableRoots: ['D:\\cache'] }), windowsPaths);
    const plan = planWindowsSession(home, state, OFF);
    const policy = windowsEnforcedPolicy(home, plan, null, ctx);
    assert.deepEqual(planWithinPolicy(plan, policy).writable.map((w) => w.path), ['C:\\Users\\alice\\proj', 'D:\\cache']);
    assert.throws(() => windowsEnforcedPolicy(home, plan, null, { ...ctx, home: 'D:\\cache' }), (err: unknown) => isCorralError(err, 'not_permitted'));
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
