/**
 * `corral sh` in pieces that need no session: the `shell` policy key (schema, layers, locks), the
 * shell a session gets from it (session/shell.ts), and the command line handed to the shell
 * unchanged (commands/sh.ts, early-run.ts). The end-to-end table against /bin/sh is
 * test/integration/sh.test.ts.
 */
import assert from 'node:assert/strict';
import { validateLayer } from '../../orchestrator/policy/load.js';
import { resolvePolicy } from '../../orchestrator/policy/resolve.js';
import { ctx, errorOf, layer } from '../helpers/policy-fixtures.js';
import { sessionShell } from '../../orchestrator/session/shell.js';
import { shellArgs, shellCommand } from '../../orchestrator/cli/commands/sh.js';
import { opensSession } from '../../orchestrator/cli/early-run.js';

describe('policy key shell', () => {
  it('defaults to sh; a later layer replaces it and is named as its source', () => {
    assert.equal(resolvePolicy([], ctx).policy.shell, 'sh');
    const r = resolvePolicy([layer('user', { shell: 'login' })], ctx);
    assert.equal(r.policy.shell, 'login');
    assert.deepEqual(r.sources.shell, ['user.json']);
    assert.notEqual(r.digest, resolvePolicy([], ctx).digest);
  });

  it('accepts only sh and login, naming the file and key', () => {
    const err = errorOf(() => validateLayer({ shell: '/bin/zsh' }, 'u.json'));
    assert.equal(err.code, 'config_invalid');
    assert.equal(err.message, 'u.json: $.shell: expected one of "sh", "login", found "/bin/zsh"');
    assert.equal(errorOf(() => validateLayer({ shell: 1 }, 'u.json')).code, 'config_invalid');
    assert.deepEqual(validateLayer({ shell: 'login' }, 'u.json'), { shell: 'login' });
  });

  it('can be locked by the machine layer', () => {
    const err = errorOf(() => resolvePolicy([layer('machine', { shell: 'sh', locked: ['shell'] }), layer('user', { shell: 'login' })], ctx));
    assert.equal(err.code, 'config_locked');
    assert.match(err.message, /user\.json: shell: locked by machine\.json/);
  });
});

describe('the session shell', () => {
  it('sh is /bin/sh; login is the passwd login shell', () => {
    assert.equal(sessionShell('linux', 'sh', '/bin/zsh', ['built-in defaults']), '/bin/sh');
    assert.equal(sessionShell('linux', 'login', '/usr/bin/zsh', ['u.json']), '/usr/bin/zsh');
  });

  it('login with no usable login shell is config_invalid naming where the choice came from', () => {
    for (const login of [undefined, '', 'bash', '/usr/sbin/nologin', '/bin/false', '/sbin/nologin']) {
      const err = errorOf(() => sessionShell('linux', 'login', login, ['/home/alice/.config/corral/config.json']));
      assert.equal(err.code, 'config_invalid', String(login));
      assert.match(err.message, /^shell is "login" \(from \/home\/alice\/\.config\/corral\/config\.json\), but /);
    }
  });

  it('Windows sessions have none, and corral sh says the platform has no POSIX shell', () => {
    assert.equal(sessionShell('windows', 'sh', undefined, ['built-in defaults']), null);
    assert.equal(errorOf(() => shellCommand({ shell: null }, ['-c', 'x'])).code, 'platform_unsupported');
  });
});

describe('corral sh command line', () => {
  it("hands every argument after sh to the shell unchanged, -- and --help included", () => {
    assert.deepEqual(shellArgs(['sh', '-c', 'echo "$0"', 'a', '--help', '--json']), ['-c', 'echo "$0"', 'a', '--help', '--json']);
    assert.deepEqual(shellArgs(['sh', '--', '-c', 'x']), ['--', '-c', 'x']);
    assert.deepEqual(shellArgs(['sh', '-lc', 'x']), ['-lc', 'x']);
    assert.deepEqual(shellCommand({ shell: '/bin/sh' }, ['-ic', 'x', 'zero']), ['/bin/sh', '-ic', 'x', 'zero']);
  });

  it('starts the runner early for sh and run, but not for their help', () => {
    assert.equal(opensSession(['sh', '-c', 'x']), true);
    assert.equal(opensSession(['sh']), true);
    assert.equal(opensSession(['sh', '-h', '-c', 'x']), true, '-h is the shell\'s (set -h)');
    assert.equal(opensSession(['sh', '--help']), false);
    assert.equal(opensSession(['sh', '-c', 'x', '--help']), true);
    assert.equal(opensSession(['run', '--', 'ls', '--help']), true);
    assert.equal(opensSession(['run', '--help']), false);
    assert.equal(opensSession(['status']), false);
  });
});
