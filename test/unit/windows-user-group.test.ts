/**
 * The name of a real user's own group on Windows (orchestrator/provision/windows/user-group.ts);
 * Pester/Private/Get-CorralUserGroupName.Tests.ps1 pins the same examples for the module.
 */
import assert from 'node:assert/strict';
import { identityName, MAX_NAME_LENGTH } from '../../orchestrator/identities.js';
import { windowsInstallation } from '../../core/installation.js';
import { userGroupName } from '../../orchestrator/provision/windows/user-group.js';

const env = { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' };
const corral = windowsInstallation('corral', env);
const test = windowsInstallation('ctestunit', env);

describe('windows user group name', () => {
  const examples: Array<[typeof corral, string, string]> = [
    [corral, 'alice', 'crl-grp-alice'],
    [corral, 'Alice', 'crl-grp-alice'],
    [corral, 'john.smith', 'crl-grp-joh-3b5ed8ad'],
    [corral, 'DOMAIN\\user', 'crl-grp-dom-ea69fc4d'],
    [corral, 'averyveryverylongusername_one', 'crl-grp-ave-a9aebf7e'],
    [test, 'alice', 'ctes-grp-alice'],
    [test, 'john.smith', 'ctes-grp-jo-3b5ed8ad'],
    [test, 'runneradmin', 'ctes-grp-runneradmin'],
  ];
  for (const [inst, user, expected] of examples) {
    it(`maps ${user} (${inst.name}) to ${expected}`, () => assert.equal(userGroupName(inst, user), expected));
  }

  it('shares the user part of the identity names, stays within 20 characters, never equals an identity name', () => {
    for (const user of ['bob', 'x'.repeat(64), 'dev_1', 'jörg', 'a-b', 'crl-off-bob']) {
      const group = userGroupName(corral, user);
      const offline = identityName(corral, user, 'offline');
      const online = identityName(corral, user, 'online');
      assert.equal(group.slice('crl-grp-'.length), offline.slice('crl-off-'.length));
      assert.ok(group.length <= MAX_NAME_LENGTH.windows, group);
      assert.notEqual(group, offline);
      assert.notEqual(group, online);
    }
  });
});
