/** The session's policy loader: the defaults without the schema library when there is nothing to validate, else loadPolicy. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isCorralError } from '../../core/errors.js';
import { linuxInstallation } from '../../core/installation.js';
import { loadPolicy } from '../../orchestrator/policy/load.js';
import { loadSessionPolicy } from '../../orchestrator/policy/session-policy.js';

describe('session policy loading', () => {
  let dir: string;
  let ws: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'corral-spolicy-'));
    ws = path.join(dir, 'ws');
    mkdirSync(ws);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const inst = () => ({ ...linuxInstallation('ptest'), machineConfigFile: path.join(dir, 'machine.json') });
  const inputs = (flags?: object) => ({ installation: inst(), home: dir, cwd: ws, workspace: ws, userConfigFile: path.join(dir, 'user.json'), machineFileTrust: { firstUnsafe: () => null }, ...(flags ? { flags } : {}) });

  it('without config files or flags: exactly what loadPolicy resolves (same policy, sources, digest)', async () => {
    assert.deepEqual(await loadSessionPolicy(inputs()), loadPolicy(inputs()));
    assert.deepEqual(await loadSessionPolicy(inputs({})), loadPolicy(inputs({})));
  });

  it('with any config file present: validated and applied like loadPolicy', async () => {
    writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ network: 'online' }));
    const r = await loadSessionPolicy(inputs());
    assert.equal(r.policy.network, 'online');
    assert.deepEqual(r, loadPolicy(inputs()));
    mkdirSync(path.join(ws, '.ptest'));
    writeFileSync(path.join(ws, '.ptest', 'config.json'), JSON.stringify({ netwrk: 'offline' }));
    await assert.rejects(loadSessionPolicy(inputs()), (err: unknown) => isCorralError(err, 'config_invalid') && err.message.includes('netwrk'));
  });

  it('with flags: validated (a bad value is config_invalid naming the command line)', async () => {
    await assert.rejects(loadSessionPolicy(inputs({ network: 'lan' })), (err: unknown) => isCorralError(err, 'config_invalid') && err.message.startsWith('command line'));
    assert.equal((await loadSessionPolicy(inputs({ network: 'online' }))).policy.network, 'online');
  });

  it('a config path that exists but is not a readable file is loadPolicy\'s error, not "no layer"', async () => {
    writeFileSync(path.join(dir, 'notadir'), '');
    const bad = { ...inputs(), userConfigFile: path.join(dir, 'notadir', 'config.json') };
    await assert.rejects(loadSessionPolicy(bad), (err: unknown) => isCorralError(err, 'config_invalid'));
  });
});
