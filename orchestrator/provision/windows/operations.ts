/**
 * The fixed allowlist of Corral module functions the orchestrator may call through
 * Invoke-CorralOperation. Every name must also be in the module's FunctionsToExport
 * (test/unit/windows-command.test.ts checks ps-module/Corral/Corral.psd1).
 */
export const OPERATIONS = [
  'Get-CorralState',
  'Test-CorralElevation',
  'Install-CorralGroup',
  'New-CorralIdentity',
  'Set-CorralCredential',
  'Set-CorralFirewallRule',
  'Test-CorralFirewall',
  'Grant-CorralTraverse',
  'Install-CorralRunner',
  'Grant-CorralWorkspace',
  'Uninstall-Corral',
] as const;

export type Operation = (typeof OPERATIONS)[number];

const SET: ReadonlySet<string> = new Set(OPERATIONS);

export function isOperation(name: string): name is Operation {
  return SET.has(name);
}
