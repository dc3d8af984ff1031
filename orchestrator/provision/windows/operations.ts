/**
 * The fixed allowlist of Corral module functions the orchestrator may call through
 * Invoke-CorralOperation. Every name must also be in the module's FunctionsToExport
 * (test/unit/windows-command.test.ts checks ps-module/Corral/Corral.psd1).
 */
export const OPERATIONS = [
  // read-only (no elevation)
  'Get-CorralState',
  'Test-CorralElevation',
  'Test-CorralFirewallEffective',
  // setup
  'Install-CorralGroup',
  'New-CorralIdentity',
  'Set-CorralIdentity',
  'Install-CorralUserGroup',
  'Update-CorralCredential',
  'New-CorralFirewallRule',
  'Install-CorralRunner',
  'Grant-CorralTraverse',
  'Grant-CorralWorkspace',
  'Install-Corral',
  // teardown
  'Revoke-CorralWorkspace',
  'Revoke-CorralTraverse',
  'Remove-CorralFirewallRule',
  'Remove-CorralIdentity',
  'Uninstall-Corral',
] as const;

export type Operation = (typeof OPERATIONS)[number];

const SET: ReadonlySet<string> = new Set(OPERATIONS);

export function isOperation(name: string): name is Operation {
  return SET.has(name);
}
