/** The Windows environment block (runner/windows/env-block.ts): pure, checked on every OS. */
import assert from 'node:assert/strict';
import {
  EnvironmentError,
  commandEnvironment,
  compareNames,
  decodeEnvironmentBlock,
  encodeEnvironmentBlock,
  environmentEntries,
  mergeCaseInsensitive,
} from '../../os/win32/env-block.js';
import { filterEnvironment } from '../../orchestrator/policy/env.js';

const session = { home: 'C:\\Users\\crl-off-alice', tmpdir: 'C:\\Users\\crl-off-alice\\AppData\\Local\\Temp\\corral-s1', systemRoot: 'C:\\Windows' };

describe('windows environment block', () => {
  it('encodes NAME=value entries in UTF-16LE, each NUL-terminated, plus a final NUL', () => {
    const block = encodeEnvironmentBlock({ B: '2', A: '1' });
    assert.deepEqual(block, Buffer.from('A=1\0B=2\0\0', 'utf16le'));
    assert.equal(block.length % 2, 0);
    assert.equal(block.readUInt32LE(block.length - 4), 0, 'ends with two UTF-16 NULs');
  });

  it('encodes an empty environment as two NULs', () => {
    assert.deepEqual(encodeEnvironmentBlock({}), Buffer.from([0, 0, 0, 0]));
  });

  it('sorts names case-insensitively by upper-cased code units, as Windows does', () => {
    const entries = environmentEntries({ b: '1', A: '2', _x: '3', Path: '4', PATHEXT: '5', a1: '6', Z: '7' });
    assert.deepEqual(
      entries.map((e) => e.split('=')[0]),
      ['A', 'a1', 'b', 'Path', 'PATHEXT', 'Z', '_x'],
    );
    assert.equal(compareNames('path', 'PATH'), 0);
    assert.ok(compareNames('Z', '_') < 0, "'Z' (0x5A) sorts before '_' (0x5F)");
  });

  it('treats names differing only in case as one variable: the later wins', () => {
    assert.deepEqual(mergeCaseInsensitive({ Path: 'a' }, { PATH: 'b' }), { PATH: 'b' });
    assert.deepEqual(environmentEntries({ path: 'x', PATH: 'y' }), ['PATH=y']);
  });

  it('keeps unicode values exactly', () => {
    const env = { GREETING: 'grüße 雪 🎉', 'NAMÉ': 'v' };
    assert.deepEqual(decodeEnvironmentBlock(encodeEnvironmentBlock(env)), env);
  });

  it('keeps "=" inside values and empty values', () => {
    const env = { A: 'x=y=z', EMPTY: '' };
    assert.deepEqual(decodeEnvironmentBlock(encodeEnvironmentBlock(env)), env);
  });

  it('refuses names with "=", empty names and NULs anywhere', () => {
    assert.throws(() => encodeEnvironmentBlock({ 'A=B': '1' }), EnvironmentError);
    assert.throws(() => encodeEnvironmentBlock({ '=C:': 'C:\\' }), EnvironmentError);
    assert.throws(() => encodeEnvironmentBlock({ '': '1' }), EnvironmentError);
    assert.throws(() => encodeEnvironmentBlock({ A: 'x\0y' }), EnvironmentError);
    assert.throws(() => encodeEnvironmentBlock({ 'A\0': 'x' }), EnvironmentError);
  });

  it('adds the runner-owned variables and Windows essentials, which a request cannot override', () => {
    const env = commandEnvironment(
      { PATH: 'C:\\tools', userprofile: 'C:\\Users\\alice', temp: 'C:\\elsewhere', systemroot: 'D:\\evil', LANG: 'C' },
      session,
    );
    assert.equal(env.USERPROFILE, session.home);
    assert.equal(env.HOME, session.home);
    assert.equal(env.TEMP, session.tmpdir);
    assert.equal(env.TMP, session.tmpdir);
    assert.equal(env.TMPDIR, session.tmpdir);
    assert.equal(env.SystemRoot, 'C:\\Windows');
    assert.equal(env.ComSpec, 'C:\\Windows\\System32\\cmd.exe');
    assert.equal(env.SystemDrive, 'C:');
    assert.equal(env.PATH, 'C:\\tools', 'the request PATH wins over the default');
    assert.equal(env.LANG, 'C');
    assert.equal(Object.keys(env).filter((k) => k.toUpperCase() === 'USERPROFILE').length, 1);
  });

  it('trusts the workspace for git (safe.directory, forward slashes) after the request\'s own git config', () => {
    const env = commandEnvironment(
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.autocrlf', GIT_CONFIG_VALUE_0: 'false' },
      { ...session, identity: 'crl-off-alice', safeDirectories: ['C:\\Users\\alice\\proj', 'D:\\extra'] },
    );
    assert.equal(env.GIT_CONFIG_COUNT, '3');
    assert.equal(env.GIT_CONFIG_KEY_0, 'core.autocrlf');
    assert.equal(env.GIT_CONFIG_KEY_1, 'safe.directory');
    assert.equal(env.GIT_CONFIG_VALUE_1, 'C:/Users/alice/proj');
    assert.equal(env.GIT_CONFIG_VALUE_2, 'D:/extra');
    assert.equal(env.USERNAME, 'crl-off-alice');
  });

  it("sets the identity's APPDATA and LOCALAPPDATA (a request can't point them elsewhere) and keeps the caller's `Path`", () => {
    const env = commandEnvironment(
      { Path: 'C:\\tools', appdata: 'C:\\Users\\alice\\AppData\\Roaming' },
      { ...session, appData: 'C:\\Users\\crl-off-alice\\AppData\\Roaming', localAppData: 'C:\\Users\\crl-off-alice\\AppData\\Local' },
    );
    assert.equal(env.APPDATA, 'C:\\Users\\crl-off-alice\\AppData\\Roaming');
    assert.equal(env.LOCALAPPDATA, 'C:\\Users\\crl-off-alice\\AppData\\Local');
    assert.equal(Object.keys(env).filter((k) => k.toUpperCase() === 'APPDATA').length, 1);
    assert.equal(env.Path, 'C:\\tools', "the caller's Path replaces the default PATH, one variable");
    assert.equal(Object.keys(env).filter((k) => k.toUpperCase() === 'PATH').length, 1);
    for (const name of ['SystemRoot', 'ComSpec', 'PATHEXT', 'TEMP', 'TMP', 'USERPROFILE']) assert.ok(env[name], name);
  });

  it('gives a default PATH and PATHEXT when the request has none', () => {
    const env = commandEnvironment({}, session);
    assert.equal(env.PATH, 'C:\\Windows\\System32;C:\\Windows;C:\\Windows\\System32\\Wbem');
    assert.equal(env.PATHEXT, '.COM;.EXE;.BAT;.CMD');
  });

  it('applies the same secret filter as Linux before the runner sees the variables', () => {
    const caller = { PATH: 'C:\\bin', GITHUB_TOKEN: 'ghp_secret', NPM_TOKEN: 'x', LANG: 'C', AWS_PROFILE: 'p' };
    const filtered = filterEnvironment(caller, { allow: ['PATH', 'LANG', 'GITHUB_*', 'AWS_*', 'NPM_TOKEN'], set: {} });
    const decoded = decodeEnvironmentBlock(encodeEnvironmentBlock(commandEnvironment(filtered, session)));
    assert.equal(decoded.GITHUB_TOKEN, undefined);
    assert.equal(decoded.AWS_PROFILE, undefined);
    assert.equal(decoded.NPM_TOKEN, 'x', 'allowed by exact name');
    assert.equal(decoded.PATH, 'C:\\bin');
  });

  it('refuses a malformed block when decoding', () => {
    assert.throws(() => decodeEnvironmentBlock(Buffer.from('A=1\0', 'utf16le')), EnvironmentError);
    assert.throws(() => decodeEnvironmentBlock(Buffer.from('A\0\0', 'utf16le')), EnvironmentError);
  });
});
