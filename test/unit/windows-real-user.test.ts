/** The real user on Windows: whoami CSV parsing, the environment cross-check, the lookup script. */
import assert from 'node:assert/strict';
import {
  currentWindowsUser,
  lookupUserScript,
  lookupWindowsUser,
  parseCsvLine,
  parseWhoamiUserCsv,
} from '../../orchestrator/provision/windows/real-user.js';
import { isCorralError } from '../../core/errors.js';
import { FakePowerShellHost, fail, ok } from './windows-fake-host.js';

const SID = 'S-1-5-21-3623811015-3361044348-30300820-1013';

describe('windows real user', () => {
  it('parses whoami /user /fo csv, whatever the header language', () => {
    assert.deepEqual(parseWhoamiUserCsv(`"Benutzername","SID"\r\n"desktop-7\\jürgen o""b","${SID}"\r\n`), {
      account: 'desktop-7\\jürgen o"b',
      sid: SID,
    });
    assert.deepEqual(parseCsvLine('"a,b",c,"d"'), ['a,b', 'c', 'd']);
    assert.throws(() => parseWhoamiUserCsv('"User Name","SID"\r\n'), (err) => isCorralError(err, 'internal'));
  });

  it('the caller: USERNAME/USERPROFILE checked against whoami, SID from whoami', async () => {
    const whoami = async () => `"User Name","SID"\r\n"CONTOSO\\Jo","${SID}"\r\n`;
    const env = { USERNAME: 'jo', USERDOMAIN: 'CONTOSO', USERPROFILE: 'C:\\Users\\jo' };
    assert.deepEqual(await currentWindowsUser(env, whoami), { name: 'Jo', sid: SID, home: 'C:\\Users\\jo' });
    await assert.rejects(currentWindowsUser({ ...env, USERNAME: 'admin' }, whoami), (err) => isCorralError(err, 'usage'));
    await assert.rejects(currentWindowsUser({ USERNAME: 'jo' }, whoami), (err) => isCorralError(err, 'internal'));
  });

  it('another account: the name reaches PowerShell only as base64', async () => {
    const hostile = "o'brien $(Stop-Computer) `\n";
    const host = new FakePowerShellHost(() => ok({ account: `PC\\${hostile}`, sid: SID, home: 'C:\\Users\\ob' }));
    assert.deepEqual(await lookupWindowsUser(host, hostile), { name: hostile, sid: SID, home: 'C:\\Users\\ob' });
    assert.equal(host.scripts.length, 1);
    assert.equal(host.scripts[0], lookupUserScript(hostile));
    assert.doesNotMatch(host.scripts[0]!, /brien|Stop-Computer|\n/);
    const b64 = /FromBase64String\('([A-Za-z0-9+/=]*)'\)/.exec(host.scripts[0]!)![1]!;
    assert.deepEqual(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')), { name: hostile });
  });

  it('an unknown account is a usage error; one without a profile says to sign in once', async () => {
    await assert.rejects(
      lookupWindowsUser(new FakePowerShellHost(() => fail('CorralUserUnknown', 'Some or all identity references could not be translated.')), 'nobody'),
      (err) => isCorralError(err, 'usage'),
    );
    await assert.rejects(
      lookupWindowsUser(new FakePowerShellHost(() => ok({ account: 'PC\\new', sid: SID, home: null })), 'new'),
      (err) => isCorralError(err, 'usage') && /sign in/.test(err.message),
    );
  });
});
