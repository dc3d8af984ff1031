/** The Corral module's ErrorIds → orchestrator error codes (and so exit codes). */
import assert from 'node:assert/strict';
import { errorCodeFor, MODULE_ERROR_CODES, moduleError } from '../../orchestrator/provision/windows/error-map.js';
import { ERROR_CODES, isErrorCode } from '../../core/errors.js';

describe('windows error map', () => {
  const expected: Array<[string, string, number]> = [
    ['CorralNotElevated', 'not_elevated', 4],
    ['CorralToolMissing', 'tool_missing', 5],
    ['CorralConfigInvalid', 'config_invalid', 2],
    ['CorralWorkspaceInvalid', 'workspace_invalid', 2],
    ['CorralWorkspaceNotOwned', 'workspace_not_owned', 2],
    ['CorralFirewallIneffective', 'firewall_ineffective', 1],
    ['CorralUserExists', 'identity_conflict', 1],
    ['CorralNotProvisioned', 'not_provisioned', 3],
    ['CorralWorkspaceInUse', 'workspace_in_use', 1],
    ['CorralStepFailed', 'step_failed', 1],
    ['CorralStateCorrupt', 'state_corrupt', 1],
    ['CorralOperationUnknown', 'internal', 1],
    ['CorralArgumentsInvalid', 'internal', 1],
    ['CorralElevationCancelled', 'elevation_cancelled', 4],
  ];

  for (const [errorId, code, exit] of expected) {
    it(`${errorId} → ${code} (exit ${exit})`, () => {
      assert.equal(errorCodeFor(errorId), code);
      const err = moduleError('New-CorralIdentity', errorId, 'why');
      assert.equal(err.code, code);
      assert.equal(err.exitCode, exit);
      assert.deepEqual(err.details, { operation: 'New-CorralIdentity', errorId });
    });
  }

  it('the table holds exactly the ids above, each mapped to a known code', () => {
    assert.deepEqual(Object.keys(MODULE_ERROR_CODES).sort(), expected.map(([id]) => id).sort());
    for (const code of Object.values(MODULE_ERROR_CODES)) assert.ok(isErrorCode(code) && code in ERROR_CODES);
  });

  it('an ErrorId it does not know (a newer module) maps to step_failed', () => {
    assert.equal(errorCodeFor('CorralSomethingNew'), 'step_failed');
    assert.equal(errorCodeFor('toString'), 'step_failed'); // no prototype lookups
    assert.equal(errorCodeFor(''), 'step_failed');
  });
});
