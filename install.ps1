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
On success it writes the detection value HKLM:\SOFTWARE\Corral (InstallTime, then Version) that
an Intune detection rule can test — last, after every step succeeded; -Uninstall removes the key.
Tested end to end on the simulated Windows: Pester/Sim/Install.Sim.Tests.ps1.

Exit codes:
  0   success (changes made, or none needed)
  1   a step failed (CorralStepFailed, CorralStateCorrupt, or an unexpected error); re-run to resume
  2   invalid parameters or configuration (CorralConfigInvalid, CorralWorkspaceInvalid,
      CorralWorkspaceNotOwned)
  3   a sandbox account name is taken by an account Corral did not create (CorralUserExists)
  4   not elevated (CorralNotElevated): run from an elevated PowerShell or as SYSTEM
  5   a prerequisite is missing (CorralToolMissing: node.exe; the bundled module missing or
      not loading)
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
    CorralWorkspaceInUse      = 1
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

if (-not $Uninstall -and -not $User) {
    [Console]::Error.WriteLine('install.ps1: -User is required (or pass -Uninstall). Exit code 2.')
    exit 2
}

$modulePath = Join-Path $PSScriptRoot 'ps-module\Corral\Corral.psd1'
if (-not (Test-Path -LiteralPath $modulePath -PathType Leaf)) {
    [Console]::Error.WriteLine("install.ps1: the bundled module is missing: $modulePath. Exit code 5.")
    exit 5
}
# By path, never from PSModulePath. Not -Force: in a fresh powershell.exe (Intune, SCCM, GPO) the
# module is not loaded anyway, and a Corral module loaded from any other path does not stop this
# one from loading (PowerShell imports a module of the same name from a new path); only the very
# same file, already loaded, is kept — which is how the simulated Windows keeps its seams in place
# (test/windows-sim/Invoke-SimScript.ps1).
try {
    $corral = Import-Module -Name $modulePath -PassThru -ErrorAction Stop | Select-Object -First 1
} catch {
    [Console]::Error.WriteLine("install.ps1: the bundled module does not load: $($_.Exception.Message) Exit code 5.")
    exit 5
}

# A 32-bit host on 64-bit Windows (Intune's management extension starts install commands from
# one): its powershell.exe is the 32-bit one, whose HKLM:\SOFTWARE is WOW6432Node and whose
# System32 is SysWOW64. Run this script again, with the same parameters, in the 64-bit
# PowerShell (sysnative), and end with its exit code. The parameters travel as data
# (New-CorralRelaunchCommand: base64 JSON in a fixed -EncodedCommand), never as text.
if (& $corral { Test-CorralWow64Host }) {
    $relaunch = & $corral { param($script, $bound, $windir) New-CorralRelaunchCommand -ScriptPath $script -Parameters $bound -WindowsDirectory $windir } $PSCommandPath $PSBoundParameters $env:windir
    if (-not (Test-Path -LiteralPath $relaunch.FilePath -PathType Leaf)) {
        [Console]::Error.WriteLine("install.ps1: started from a 32-bit PowerShell on 64-bit Windows, and the 64-bit PowerShell is missing: $($relaunch.FilePath). Exit code 5.")
        exit 5
    }
    $relaunchCode = & $corral { param($file, $arguments) Start-CorralProcess -FilePath $file -ArgumentList $arguments } $relaunch.FilePath $relaunch.ArgumentList
    exit $relaunchCode
}

# Elevation before anything is written (importing the module writes nothing). Through the
# module's seam Test-CorralElevation (WindowsPrincipal.IsInRole(Administrators)): SYSTEM and an
# elevated administrator pass, a filtered UAC token does not.
if (-not (Test-CorralElevation)) {
    [Console]::Error.WriteLine('install.ps1: needs an elevated PowerShell (Run as administrator) or SYSTEM. Exit code 4.')
    exit 4
}

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
        & $corral { Initialize-CorralStateDirectory -Confirm:$false }
    } elseif ($logDir -and -not (Test-Path -LiteralPath $logDir)) {
        $null = New-Item -ItemType Directory -Path $logDir -Force
    }
    $null = Start-Transcript -LiteralPath $LogPath -Append
    $transcript = $true
}
if ($NonInteractive -or -not [Environment]::UserInteractive) { $ConfirmPreference = 'None' }

$code = 0
try {
    # The detection key, through the module's registry seams (HKLM:\SOFTWARE\<installation>), in
    # the 64-bit registry view: where a 64-bit detection rule and the 64-bit Corral look, also
    # from a 32-bit host (Open-CorralRegistryBaseKey).
    $registryKey = "HKLM:\SOFTWARE\$title"
    if ($Uninstall) {
        $result = Uninstall-Corral -Confirm:$false -WhatIf:$WhatIfPreference
        if (-not $WhatIfPreference) { & $corral { param($key) Remove-CorralRegistryKey -Key $key -View Registry64 -Confirm:$false } $registryKey }
        Write-Output $result.Summary
    } else {
        if (-not $RunnerSource -and (Test-Path -LiteralPath (Join-Path $PSScriptRoot 'dist\runner')) -and (Test-Path -LiteralPath (Join-Path $PSScriptRoot 'node_modules'))) {
            $RunnerSource = $PSScriptRoot
        }
        $result = Install-Corral -User $User -Workspace $Workspace -Network $Network -RunnerSource $RunnerSource -Confirm:$false -WhatIf:$WhatIfPreference
        foreach ($change in $result.Changes) { Write-Output "changed: $change" }
        Write-Output $result.Summary
        if (-not $WhatIfPreference) {
            # Detection value for Intune/SCCM: written last, only after every step of a complete
            # install succeeded (any failure above throws past it), so that a detection rule never
            # sees a half-done install as installed. A re-run with the same version writes nothing.
            & $corral {
                param($key, $version)
                if ((Get-CorralRegistryValue -Key $key -Name 'Version' -View Registry64) -ne $version) {
                    Set-CorralRegistryValue -Key $key -Name 'InstallTime' -Value ([DateTime]::UtcNow.ToString('o')) -Kind String -View Registry64 -Confirm:$false
                    # Version last of all: the value a detection rule tests.
                    Set-CorralRegistryValue -Key $key -Name 'Version' -Value $version -Kind String -View Registry64 -Confirm:$false
                }
            } $registryKey $version
        }
    }
} catch {
    $code = Get-InstallExitCode -Record $_
    [Console]::Error.WriteLine("install.ps1: $($_.FullyQualifiedErrorId.Split(',')[0]): $($_.Exception.Message) Exit code $code.")
} finally {
    if ($transcript) { $null = Stop-Transcript }
}
exit $code
