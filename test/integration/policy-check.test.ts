/**
 * `corral policy check FILE [--as KIND] [--json]`: a config file checked as the layer it will be,
 * before it is installed (the Ansible role validates the machine config with it). Runs the built
 * CLI on real files; no root needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, NODE, runProgram } from './helpers/e2e.js';

describe('corral policy check', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'corral-policy-check-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = async (content: string, args: string[] = []) => {
    const file = path.join(dir, `c${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, content);
    const r = await runProgram(NODE, [CLI, 'policy', 'check', file, '--json', ...args], { env: { CORRAL_INSTANCE: 'ctpolchk' } });
    return { file, status: r.status, doc: JSON.parse(r.stdout.toString()) as { ok: boolean; locked?: string[]; error?: { code: string; message: string; details?: { path?: string } } } };
  };

  it('accepts a valid machine config and names its locks', async () => {
    const r = await check(JSON.stringify({ network: 'offline', locked: ['network'], limits: { pids: 512 } }));
    assert.equal(r.status, 0);
    assert.deepEqual(r.doc.locked, ['network']);
  });

  it('refuses an invalid value with exit 2, naming the file and the JSON path', async () => {
    const r = await check(JSON.stringify({ limits: { pids: 'many' } }));
    assert.equal(r.status, 2);
    assert.equal(r.doc.error?.code, 'config_invalid');
    assert.ok(r.doc.error?.message.startsWith(`${r.file}: $.limits.pids:`), r.doc.error?.message);
  });

  it('refuses what only resolution catches: a lock outside the machine layer, a relative path in it', async () => {
    const lockInUser = await check(JSON.stringify({ locked: ['mode'] }), ['--as', 'user']);
    assert.equal(lockInUser.status, 2);
    assert.match(lockInUser.doc.error?.message ?? '', /only the machine config may lock keys/);
    const relative = await check(JSON.stringify({ denyRead: ['secrets'] }));
    assert.equal(relative.status, 2);
    assert.match(relative.doc.error?.message ?? '', /denyRead\[0\]: expected an absolute path/);
  });

  it('refuses a file that is not JSON, and an unknown --as', async () => {
    const r = await check('{ nope');
    assert.equal(r.status, 2);
    assert.match(r.doc.error?.message ?? '', /expected JSON/);
    const bad = await check('{}', ['--as', 'galaxy']);
    assert.equal(bad.status, 2);
    assert.equal(bad.doc.error?.code, 'usage');
  });
});
