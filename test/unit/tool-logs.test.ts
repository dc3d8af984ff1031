/** npm's log paths taken from a command's stderr (orchestrator/cli/tool-logs.ts): shape-checked, hostile text refused. */
import assert from 'node:assert/strict';
import { isNpmLogPath, npmLogPaths, OutputTail, STDERR_TAIL_BYTES } from '../../orchestrator/cli/tool-logs.js';

const HOME = '/var/lib/corral/home/corral-off-alice/ws-0123456789abcdef';
const LOG = `${HOME}/.npm/_logs/2026-12-03T17_40_00_123Z-debug-0.log`;

describe('tool logs: npm log paths in stderr', () => {
  it('finds npm 9+ and npm 7–8 forms', () => {
    assert.deepEqual(npmLogPaths(`npm error code ENOTCACHED\nnpm error A complete log of this run can be found in: ${LOG}\n`), [LOG]);
    assert.deepEqual(npmLogPaths(`npm ERR! A complete log of this run can be found in:\nnpm ERR!     ${LOG}\n`), [LOG]);
  });

  it('takes only paths of the shape …/.npm/_logs/NAME.log, without . or .. or control characters', () => {
    for (const p of [
      '/etc/shadow',
      '/home/alice/.ssh/id_ed25519',
      `${HOME}/.npm/_logs/../../.ssh/x.log`,
      `${HOME}/.npm/_logs/./x.log`,
      `${HOME}//.npm/_logs/x.log`,
      `${HOME}/.npm/_logs/x.txt`,
      `${HOME}/.npm/_logs/.hidden.log`,
      `${HOME}/.npm/_logs/sub/x.log`,
      'relative/.npm/_logs/x.log',
      `${HOME}/.npm/_logs/x\u001b[2J.log`,
    ]) {
      assert.equal(isNpmLogPath(p), false, p);
      assert.deepEqual(npmLogPaths(`A complete log of this run can be found in: ${p}\n`), [], p);
    }
    assert.equal(isNpmLogPath(LOG), true);
  });

  it('at most two paths, no duplicates, the last ones', () => {
    const lines = [1, 2, 3, 3].map((n) => `A complete log of this run can be found in: ${HOME}/.npm/_logs/run-${n}.log`).join('\n');
    assert.deepEqual(npmLogPaths(lines), [2, 3].map((n) => `${HOME}/.npm/_logs/run-${n}.log`));
  });

  it('the tail keeps the end of a long stream', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 100; i++) tail.push(Buffer.alloc(1000, 'x'));
    tail.push(Buffer.from(`A complete log of this run can be found in: ${LOG}\n`));
    const text = tail.text();
    assert.ok(text.length <= STDERR_TAIL_BYTES);
    assert.deepEqual(npmLogPaths(text), [LOG]);
  });
});
