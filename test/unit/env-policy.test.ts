import assert from 'node:assert/strict';
import { filterEnvironment, looksSecret } from '../../orchestrator/policy/env.js';
import { DEFAULT_ENV_ALLOW } from '../../orchestrator/policy/defaults.js';

describe('environment policy', () => {
  const source = {
    PATH: '/usr/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    HOME: '/root',
    GITHUB_TOKEN: 'ghp_x',
    AWS_SECRET_ACCESS_KEY: 'k',
    NPM_TOKEN: 'n',
    MY_API_KEY: 'k2',
    SSH_AUTH_SOCK: '/tmp/agent',
    EDITOR: 'vim',
  };

  it('passes only allowlisted variables', () => {
    assert.deepEqual(filterEnvironment(source, { allow: [...DEFAULT_ENV_ALLOW], set: {} }), {
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
    });
  });

  it('drops secret-looking variables matched by a wildcard, passes them when named exactly', () => {
    const out = filterEnvironment(source, { allow: ['GITHUB_*', 'AWS_*', 'MY_*', 'NPM_TOKEN'], set: {} });
    assert.deepEqual(out, { NPM_TOKEN: 'n' });
  });

  it('applies set last', () => {
    assert.deepEqual(filterEnvironment(source, { allow: ['PATH'], set: { PATH: '/bin', FOO: 'bar' } }), { PATH: '/bin', FOO: 'bar' });
  });

  it('recognises common credential names', () => {
    for (const name of ['GITHUB_TOKEN', 'GH_TOKEN', 'AWS_ACCESS_KEY_ID', 'AZURE_CLIENT_SECRET', 'DB_PASSWORD', 'OPENAI_API_KEY', 'SSH_AUTH_SOCK']) {
      assert.ok(looksSecret(name), name);
    }
    for (const name of ['PATH', 'LANG', 'TERM', 'KEYBOARD']) assert.ok(!looksSecret(name), name);
  });
});
