/**
 * `corral run`'s early provisioned check per platform (orchestrator/session/provisioned.ts,
 * provision/windows/provisioned.ts), the setup default network, and Windows' case-insensitive
 * environment allowlist: pure, on every OS.
 */
import assert from 'node:assert/strict';
import { parseWindowsState } from '../../os/win32/machine-state.js';
import { windowsPaths, posixPaths } from '../../core/paths.js';
import { windowsProvisionedFrom } from '../../orchestrator/provision/windows/provisioned.js';
import { checkProvisioned, defaultWorkspace, provisionedWorkspaceFor, userRecordFor } from '../../orchestrator/session/provisioned.js';
import { sessionNetworkFromSetup } from '../../orchestrator/session/open.js';
import { filterEnvironment } from '../../orchestrator/policy/env.js';

const ALICE = 'S-1-5-21-100-200-300-1001';
const OTHER_ALICE = 'S-1-12-1-400-500-600-700'; // AzureAD\alice: same name, another account
const ids = (n: string) => ({ offline: { name: `crl-off-${n}`, sid: 'S-1-5-21-100-200-300-2001' }, online: { name: `crl-on-${n}`, sid: 'S-1-5-21-100-200-300-2002' } });
const STATE = JSON.stringify({
  version: 1,
  installation: 'corral',
  users: {
    alice: { sid: ALICE, network: 'online', identities: ids('alice'), workspaces: [{ path: 'C:\\Users\\alice\\src\\App', capabilitySid: 'S-1-5-21-1-2-3-4' }] },
  },
  runner: { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js' },
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('corral run on Windows: what is provisioned (5a, 5h)', () => {
  const state = parseWindowsState(STATE, 'state.json');

  it('reads the Windows state shape (it answered not_provisioned for every workspace before)', () => {
    const p = windowsProvisionedFrom(state, { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' });
    assert.deepEqual(p, { runnerInstalled: true, user: { workspaces: ['C:\\Users\\alice\\src\\App'], network: 'online' } });
    assert.equal(checkProvisioned(p, 'alice', 'c:\\users\\ALICE\\src\\app', windowsPaths).network, 'online');
  });

  it('opens the provisioned workspace the current directory is in, case-insensitively, spelled as the state has it', () => {
    const p = windowsProvisionedFrom(state, { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' });
    assert.equal(provisionedWorkspaceFor(userRecordFor(p, 'alice', 'x'), 'c:\\users\\alice\\SRC\\app\\lib', windowsPaths), 'C:\\Users\\alice\\src\\App');
    assert.equal(provisionedWorkspaceFor(userRecordFor(p, 'alice', 'x'), 'C:\\Users\\alice\\src\\Apple', windowsPaths), null);
    assert.equal(code(() => checkProvisioned(p, 'alice', 'C:\\Users\\alice\\other', windowsPaths)), 'not_provisioned');
  });

  it('defaultWorkspace: the provisioned workspace a directory is in, else the directory; never throws for an unprovisioned user', () => {
    const p = windowsProvisionedFrom(state, { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' });
    assert.equal(defaultWorkspace(p, 'C:\\Users\\alice\\src\\App\\lib\\deep', windowsPaths), 'C:\\Users\\alice\\src\\App');
    assert.equal(defaultWorkspace(p, 'C:\\Users\\alice\\elsewhere', windowsPaths), 'C:\\Users\\alice\\elsewhere');
    assert.equal(defaultWorkspace(null, 'C:\\x', windowsPaths), 'C:\\x');
    assert.equal(defaultWorkspace({ runnerInstalled: true, user: null }, 'C:\\x', windowsPaths), 'C:\\x');
  });

  it('keys users by SID: another account named alice (AzureAD\\alice) is not provisioned', () => {
    const p = windowsProvisionedFrom(state, { name: 'alice', sid: OTHER_ALICE, home: 'C:\\Users\\alice.AzureAD' });
    assert.equal(p.user, null);
    assert.equal(code(() => checkProvisioned(p, 'alice', 'C:\\Users\\alice\\src\\App', windowsPaths)), 'not_provisioned');
  });

  it('finds a domain user whose account name differs from the state key by case', () => {
    const p = windowsProvisionedFrom(state, { name: 'ALICE', sid: ALICE, home: 'C:\\Users\\alice' });
    assert.notEqual(p.user, null);
  });

  it('refuses a state whose recorded network is neither offline nor online', () => {
    const bad = STATE.replace('"network":"online"', '"network":"wifi"');
    assert.equal(code(() => parseWindowsState(bad, 'state.json')), 'state_corrupt');
    assert.equal(parseWindowsState(STATE.replace('"network":"online",', ''), 's').users.alice!.network, 'offline');
  });

  it('Linux paths stay case-sensitive', () => {
    const p = { runnerInstalled: true, user: { workspaces: ['/home/a/ws'], network: 'offline' as const } };
    assert.equal(code(() => checkProvisioned(p, 'a', '/home/a/WS', posixPaths)), 'not_provisioned');
    assert.equal(provisionedWorkspaceFor(p.user, '/home/a/ws/sub', posixPaths), '/home/a/ws');
  });
});

describe('the setup default network (setup --network)', () => {
  it('is used only when nothing but the built-in defaults chose the network', () => {
    assert.equal(sessionNetworkFromSetup(['built-in defaults'], 'offline', 'online'), true);
    assert.equal(sessionNetworkFromSetup(['built-in defaults'], 'offline', 'offline'), false);
    assert.equal(sessionNetworkFromSetup(['/etc/corral/config.json'], 'offline', 'online'), false);
    assert.equal(sessionNetworkFromSetup(['flags'], 'offline', 'online'), false);
    assert.equal(sessionNetworkFromSetup(['<ws>/.corral/config.json'], 'offline', 'online'), false);
  });
});

describe('environment allowlist on Windows (5d)', () => {
  const allow = ['PATH', 'LANG', 'LC_*', 'NPM_TOKEN'];
  it('lets `Path` through an allowlist that names PATH, keeping its spelling, when names ignore case', () => {
    assert.deepEqual(filterEnvironment({ Path: 'C:\\bin', lc_all: 'C', Npm_Token: 't', Other: 'x' }, { allow, set: {} }, { ignoreCase: true }), {
      Path: 'C:\\bin',
      lc_all: 'C',
      Npm_Token: 't',
    });
  });

  it('still drops secret-looking names not allowed by exact name, in any case', () => {
    assert.deepEqual(filterEnvironment({ github_token: 'x', Lc_Secret: 's' }, { allow: ['LC_*'], set: {} }, { ignoreCase: true }), {});
  });

  it('lets a `set` entry replace every spelling of its name', () => {
    assert.deepEqual(filterEnvironment({ Path: 'C:\\a' }, { allow, set: { PATH: 'C:\\b' } }, { ignoreCase: true }), { PATH: 'C:\\b' });
  });

  it('compares case-sensitively elsewhere (Linux): `Path` is not PATH', () => {
    assert.deepEqual(filterEnvironment({ Path: '/bin' }, { allow, set: {} }), {});
  });
});
