/**
 * The Windows privilege bridge's decisions (orchestrator/bridge/windows/launcher.ts,
 * os/win32/file-owner.ts, core/installation.ts): pure, on every OS.
 */
import assert from 'node:assert/strict';
import { windowsInstallation } from '../../core/installation.js';
import { installedRunner, runnerEnvironment } from '../../orchestrator/bridge/windows/launcher.js';
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
});
