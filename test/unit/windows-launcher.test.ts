/**
 * The Windows privilege bridge's decisions (orchestrator/bridge/windows/launcher.ts,
 * os/win32/file-owner.ts, core/installation.ts): pure, on every OS.
 */
import assert from 'node:assert/strict';
import { windowsInstallation } from '../../core/installation.js';
import { CorralError } from '../../core/errors.js';
import { PROTOCOL_VERSION, type SessionRequest } from '../../core/protocol.js';
import { explainLaunchFailure, installedRunner, planRunnerLaunch, runnerEnvironment } from '../../orchestrator/bridge/windows/launcher.js';
import { checkTrustedOwner } from '../../os/win32/file-owner.js';
import { parseWindowsState } from '../../os/win32/machine-state.js';

const installation = windowsInstallation('corral', { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' });
const state = (runner: object | null) =>
  parseWindowsState(JSON.stringify({ version: 1, users: {}, runner }), 'state.json');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('windows launcher', () => {
  it("gives the runner an explicit environment: Windows' essentials, nothing of the caller's or of HKCU\\Environment", () => {
    assert.deepEqual(runnerEnvironment('C:\\Windows'), {
      SystemRoot: 'C:\\Windows',
      windir: 'C:\\Windows',
      SystemDrive: 'C:',
      ComSpec: 'C:\\Windows\\System32\\cmd.exe',
      PATHEXT: '.COM;.EXE;.BAT;.CMD',
      PATH: 'C:\\Windows\\System32;C:\\Windows;C:\\Windows\\System32\\Wbem',
    });
    const keys = Object.keys(runnerEnvironment('C:\\Windows')).map((k) => k.toUpperCase());
    for (const absent of ['NODE_OPTIONS', 'NODE_PATH', 'USERPROFILE', 'APPDATA', 'TEMP', 'PROGRAMDATA', 'PROGRAMFILES']) assert.ok(!keys.includes(absent), absent);
  });

  it('starts only the installation\'s own node.exe and entry under %ProgramFiles%\\Corral', () => {
    const installed = { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js' };
    assert.deepEqual(installedRunner(installation, state(installed)), installed);
    assert.deepEqual(installedRunner(installation, state({ ...installed, node: 'c:\\program files\\corral\\NODE.EXE' })).node, installed.node);
    assert.equal(code(() => installedRunner(installation, state({ ...installed, node: 'C:\\Users\\mallory\\node.exe' }))), 'state_corrupt');
    assert.equal(code(() => installedRunner(installation, state({ ...installed, entry: 'C:\\Users\\mallory\\main.js' }))), 'state_corrupt');
    assert.equal(code(() => installedRunner(installation, state(null))), 'not_provisioned');
  });

  it('takes %ProgramData% and %ProgramFiles% from the folders it is given, never from process.env', () => {
    const saved = process.env.ProgramData;
    process.env.ProgramData = 'C:\\Users\\mallory\\fake';
    try {
      assert.equal(windowsInstallation('corral', { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' }).stateDir, 'C:\\ProgramData\\Corral');
    } finally {
      if (saved === undefined) delete process.env.ProgramData;
      else process.env.ProgramData = saved;
    }
  });

  it('trusts machine state only when Administrators or SYSTEM own it', () => {
    assert.doesNotThrow(() => checkTrustedOwner('C:\\ProgramData\\Corral\\state.json', 'S-1-5-32-544'));
    assert.doesNotThrow(() => checkTrustedOwner('C:\\ProgramData\\Corral', 'S-1-5-18'));
    for (const owner of ['S-1-5-21-1-2-3-1001', 'S-1-5-32-545', 'S-1-1-0', 'S-1-3-0']) {
      assert.equal(code(() => checkTrustedOwner('C:\\ProgramData\\Corral', owner)), 'state_corrupt', owner);
    }
  });

  const ALICE = 'S-1-5-21-1-2-3-1001';
  const provisioned = parseWindowsState(
    JSON.stringify({
      version: 1,
      users: {
        alice: {
          sid: ALICE,
          network: 'offline',
          identities: { offline: { name: 'crlaliceoff', sid: 'S-1-5-21-1-2-3-1010' }, online: { name: 'crlaliceon', sid: 'S-1-5-21-1-2-3-1011' } },
          workspaces: [{ path: 'C:\\Users\\alice\\src', capabilitySid: 'S-1-15-3-1' }],
        },
      },
      runner: { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js' },
    }),
    'state.json',
  );
  const request = (network: 'offline' | 'online') => ({ version: PROTOCOL_VERSION, network, realUser: 'alice' }) as SessionRequest;

  it('plans the logon of the identity for the request\'s network, of the user found by SID, starting the installed runner', () => {
    const alice = { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' };
    const launch = planRunnerLaunch(installation, provisioned, request('offline'), alice, 'C:\\Windows');
    assert.deepEqual(launch.identity, { name: 'crlaliceoff', sid: 'S-1-5-21-1-2-3-1010' });
    assert.equal(launch.domain, '.');
    assert.equal(launch.credentialFile, `C:\\ProgramData\\Corral\\credentials\\${ALICE}.json`);
    assert.equal(launch.application, 'C:\\Program Files\\Corral\\node.exe');
    assert.equal(launch.commandLine, '"C:\\Program Files\\Corral\\node.exe" "C:\\Program Files\\Corral\\app\\dist\\runner\\main.js"');
    assert.deepEqual(launch.environment, runnerEnvironment('C:\\Windows'));
    assert.equal(planRunnerLaunch(installation, provisioned, request('online'), alice, 'C:\\Windows').identity.name, 'crlaliceon');
    // Another account called alice (another SID) has nothing here.
    assert.equal(code(() => planRunnerLaunch(installation, provisioned, request('offline'), { ...alice, sid: 'S-1-5-21-9-9-9-1001' }, 'C:\\Windows')), 'not_provisioned');
  });

  it('reports a logon refused because the identity is gone, disabled, locked out or has another password as drift; other failures as they are', () => {
    const launch = planRunnerLaunch(installation, provisioned, request('offline'), { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' }, 'C:\\Windows');
    const failure = (win32Error: number, api = 'CreateProcessWithLogonW') => new CorralError('runner_failed', `${api} failed: Win32 error ${win32Error}`, { details: { api, win32Error } });
    for (const win32Error of [1326, 1330, 1331, 1909]) {
      const explained = explainLaunchFailure(failure(win32Error), launch) as CorralError;
      assert.equal(explained.code, 'drift_detected', String(win32Error));
      assert.match(explained.message, /crlaliceoff/);
    }
    for (const other of [failure(5), failure(1326, 'CryptUnprotectData'), new Error('x')]) assert.equal(explainLaunchFailure(other, launch), other);
  });

  it('reads POSIX paths only for a test installation on Linux (the simulated Windows), never by default', () => {
    const json = JSON.stringify({ version: 1, users: {}, runner: { dir: '/tmp/pf/c', node: '/tmp/pf/c/node.exe', entry: '/tmp/pf/c/main.js' } });
    assert.equal(code(() => parseWindowsState(json, 'state.json')), 'state_corrupt');
    assert.equal(parseWindowsState(json, 'state.json', 'posix').runner?.node, '/tmp/pf/c/node.exe');
    assert.equal(code(() => parseWindowsState(json.replace('/tmp/pf/c/node.exe', 'C:\\\\x\\\\node.exe'), 'state.json', 'posix')), 'state_corrupt');
  });
});
