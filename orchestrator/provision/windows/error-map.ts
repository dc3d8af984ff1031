/**
 * The Corral PowerShell module's ErrorIds → the orchestrator's stable error codes
 * (core/errors.ts). Keep in step with the module's ErrorIds; an ErrorId not in
 * this table maps to `step_failed`, so a newer module never crashes an older orchestrator.
 */
import { CorralError, type ErrorCode } from '../../../core/errors.js';

export const MODULE_ERROR_CODES = {
  CorralNotElevated: 'not_elevated',
  CorralToolMissing: 'tool_missing',
  CorralConfigInvalid: 'config_invalid',
  CorralWorkspaceInvalid: 'workspace_invalid',
  CorralWorkspaceNotOwned: 'workspace_not_owned',
  CorralFirewallIneffective: 'firewall_ineffective',
  CorralUserExists: 'identity_conflict',
  CorralNotProvisioned: 'not_provisioned',
  // A session of the user still runs (Revoke-CorralWorkspace refuses to delete under it).
  CorralWorkspaceInUse: 'workspace_in_use',
  CorralStepFailed: 'step_failed',
  CorralStateCorrupt: 'state_corrupt',
  // The orchestrator asked for something the module does not export: versions out of step.
  CorralOperationUnknown: 'internal',
  // Arguments of the wrong shape or type: the orchestrator built a call the module rejects.
  CorralArgumentsInvalid: 'internal',
  // Raised by the orchestrator's own elevation launcher (elevation.ts), not the module.
  CorralElevationCancelled: 'elevation_cancelled',
} as const satisfies Record<string, ErrorCode>;

export type ModuleErrorId = keyof typeof MODULE_ERROR_CODES;

export function errorCodeFor(errorId: string): ErrorCode {
  return Object.prototype.hasOwnProperty.call(MODULE_ERROR_CODES, errorId)
    ? MODULE_ERROR_CODES[errorId as ModuleErrorId]
    : 'step_failed';
}

/** The CorralError for a module error line; the ErrorId and operation stay in details. */
export function moduleError(operation: string, errorId: string, message: string): CorralError {
  return new CorralError(errorCodeFor(errorId), `${operation}: ${message}`, { details: { operation, errorId } });
}
