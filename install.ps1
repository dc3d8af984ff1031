<#
.SYNOPSIS
Installs (or uninstalls) Corral sandboxes for one user on this machine — the fleet entry point for Intune, SCCM and GPO startup scripts.

.DESCRIPTION
Imports the Corral module bundled next to this script (ps-module\Corral, by path — never
from PSModulePath) and runs Install-Corral (or Uninstall-Corral with -Uninstall). Needs an
elevated PowerShell (Intune and SCCM run it as SYSTEM). Everything it changes is journaled
in %ProgramData%\Corral\journal.jsonl; running it again changes nothing and says so;
-Uninstall removes every user, firewall rule, ACE, file and registry key it created.
A transcript goes to %ProgramData%\Corral\logs\install-<time>.log (uninstall: %TEMP%, since
the Corral folder itself is removed), or to -LogPath.
On success it writes the detection value HKLM:\SOFTWARE\Corral (Version, InstallTime) that an
Intune detection rule can test; -Uninstall removes the key.

Exit codes:
  0   success (changes made, or none needed)
  1   a step failed (CorralStepFailed, CorralStateCorrupt, or an unexpected error); re-run to resume
  2   invalid parameters or configuration (CorralConfigInvalid, CorralWorkspaceInvalid,
      CorralWorkspaceNotOwned)
  3   a sandbox account name is taken by an account Corral did not create (CorralUserExists)
  4   not elevated (CorralNotElevated): run from an elevated PowerShell or as SYSTEM
  5   a prerequisite is missing (CorralToolMissing: node.exe, the bundled module, LocalAccounts)
  6   the firewall would not enforce the rules (CorralFirewallIneffective: a profile is off,
      or Group Policy ignores local rules)

.PARAMETER User
The real user to provision (alice, DOMAIN\alice, AzureAD\alice). Required unless -Uninstall.

.PARAMETER Workspace
Workspace folders to grant; absolute, existing, owned by the user.

.PARAMETER Network
The user's default session network: offline (default) or online.

.PARAMETER Uninstall
Remove everything Corral installed on this machine.

.PARAMETER LogPath
Transcript file; default %ProgramData%\Corral\logs\install-<time>.log.

.PARAMETER NonInteractive
Never prompt (implied when the session is not interactive, e.g. as SYSTEM).

.PARAMETER RunnerSource
Folder of the built Corral package (package.json, dist, node_modules); default the folder of
this script when it holds them. Omit for a provisioning-only install.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File install.ps1 -User alice -Workspace C:\Users\alice\src -NonInteractive

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File install.ps1 -Uninstall -NonInteractive

.EXAMPLE
.\install.ps1 -User alice -Workspace C:\Users\alice\src -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string]$User = '',
    [string[]]$Workspace = @(),
    [ValidateSet('offline', 'online')]
    [string]$Network = 'offline',
    [switch]$Uninstall,
    [string]$LogPath = '',
    [switch]$NonInteractive,
    [string]$RunnerSource = ''
)

$ErrorActionPreference = 'Stop'
$exitCodes = @{
    CorralStepFailed          = 1
    CorralStateCorrupt        = 1
    CorralConfigInvalid       = 2
    CorralWorkspaceInvalid    = 2
    CorralWorkspaceNotOwned   = 2
    CorralArgumentsInvalid    = 2
    CorralNotProvisioned      = 1
    CorralUserExists          = 3
    CorralNotElevated         = 4
    CorralToolMissing         = 5
    CorralFirewallIneffective = 6
}
$version = '0.1.0'

function Get-InstallExitCode {
    param([System.Management.Automation.ErrorRecord]$Record)
    $id = "$($Record.FullyQualifiedErrorId)".Split(',')[0]
    if ($exitCodes.ContainsKey($id)) { return $exitCodes[$id] }
    return 1
}

# Elevation first, before anything is written (the module may not even load without it).
$principal = [System.Security.Principal.WindowsPrincipal]::new([System.Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    [Console]::Error.WriteLine('install.ps1: needs an elevated PowerShell (Run as administrator) or SYSTEM. Exit code 4.')
    exit 4
}
if (-not $Uninstall -and -not $User) {
    [Console]::Error.WriteLine('install.ps1: -User is required (or pass -Uninstall). Exit code 2.')
    exit 2
}

$modulePath = Join-Path $PSScriptRoot 'ps-module\Corral\Corral.psd1'
if (-not (Test-Path -LiteralPath $modulePath -PathType Leaf)) {
    [Console]::Error.WriteLine("install.ps1: the bundled module is missing: $modulePath. Exit code 5.")
    exit 5
}
Import-Module -Name $modulePath -Force -ErrorAction Stop

$programData = if ($env:ProgramData) { $env:ProgramData } else { 'C:\ProgramData' }
$title = if ($env:CORRAL_INSTANCE) { $env:CORRAL_INSTANCE } else { 'Corral' }
$stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ')
if (-not $LogPath) {
    $LogPath = if ($Uninstall) { Join-Path ([System.IO.Path]::GetTempPath()) "corral-uninstall-$stamp.log" }
    else { Join-Path $programData "$title\logs\install-$stamp.log" }
}
$transcript = $false
if (-not $WhatIfPreference) {
    $logDir = Split-Path -Parent $LogPath
    if (-not $Uninstall -and $logDir -like (Join-Path $programData "$title\*")) {
        # Creates the state folder with its ACL (Users read, Administrators/SYSTEM write) before the log lands in it.
        & (Get-Module Corral) { Initialize-CorralStateDirectory -Confirm:$false }
    } elseif ($logDir -and -not (Test-Path -LiteralPath $logDir)) {
        $null = New-Item -ItemType Directory -Path $logDir -Force
    }
    $null = Start-Transcript -LiteralPath $LogPath -Append
    $transcript = $true
}
if ($NonInteractive -or -not [Environment]::UserInteractive) { $ConfirmPreference = 'None' }

$code = 0
try {
    $registryKey = "HKLM:\SOFTWARE\$title"
    if ($Uninstall) {
        $result = Uninstall-Corral -Confirm:$false -WhatIf:$WhatIfPreference
        if (-not $WhatIfPreference -and (Test-Path -LiteralPath $registryKey)) { Remove-Item -LiteralPath $registryKey -Recurse -Force }
        Write-Output $result.Summary
    } else {
        if (-not $RunnerSource -and (Test-Path -LiteralPath (Join-Path $PSScriptRoot 'dist\runner')) -and (Test-Path -LiteralPath (Join-Path $PSScriptRoot 'node_modules'))) {
            $RunnerSource = $PSScriptRoot
        }
        $result = Install-Corral -User $User -Workspace $Workspace -Network $Network -RunnerSource $RunnerSource -Confirm:$false -WhatIf:$WhatIfPreference
        foreach ($change in $result.Changes) { Write-Output "changed: $change" }
        Write-Output $result.Summary
        if (-not $WhatIfPreference) {
            $existing = Get-ItemProperty -LiteralPath $registryKey -ErrorAction SilentlyContinue
            if (-not $existing -or $existing.Version -ne $version) {
                # Detection value for Intune/SCCM: written only after a complete, successful install.
                if (-not (Test-Path -LiteralPath $registryKey)) { $null = New-Item -Path $registryKey -Force }
                $null = New-ItemProperty -LiteralPath $registryKey -Name 'Version' -Value $version -PropertyType String -Force
                $null = New-ItemProperty -LiteralPath $registryKey -Name 'InstallTime' -Value ([DateTime]::UtcNow.ToString('o')) -PropertyType String -Force
            }
        }
    }
} catch {
    $code = Get-InstallExitCode -Record $_
    [Console]::Error.WriteLine("install.ps1: $($_.FullyQualifiedErrorId.Split(',')[0]): $($_.Exception.Message) Exit code $code.")
} finally {
    if ($transcript) { $null = Stop-Transcript }
}
exit $code
