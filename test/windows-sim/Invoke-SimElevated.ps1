<#
.SYNOPSIS
The elevated powershell.exe that a UAC prompt starts, on the simulated Windows: runs
elevated-host.ps1 with the simulation loaded, and exits with its exit code.

.DESCRIPTION
Test-only. Started by the simulation's Start-CorralElevatedProcess (CorralWindowsSim.psm1), which
stands for ShellExecute with the runas verb after the user consents. It takes exactly the
argument line elevation.ts gives powershell.exe:

    -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <elevated-host.ps1> -PlanFile <p> -ResultFile <r>

and refuses any other, so the test sees what Windows would be asked to run. Before the script
runs it loads the simulated Windows and the Corral module that elevated-host.ps1 will import —
the one three folders above the script, ps-module\Corral — with its seams replaced.
elevated-host.ps1 imports that same file by path without -Force, so it gets the simulated module.

What is simulated: the elevation only ($env:CORRAL_SIM_ELEVATED = '1', set by the caller: the
token holds Administrators). Everything else is the real elevated-host.ps1 and the real module,
on PowerShell 7 (pwsh) where Windows would run Windows PowerShell 5.1.
#>
param(
    [switch]$NoProfile,
    [switch]$NonInteractive,
    [string]$ExecutionPolicy,
    [Parameter(Mandatory)][string]$File,
    [Parameter(Mandatory)][string]$PlanFile,
    [Parameter(Mandatory)][string]$ResultFile
)
$ErrorActionPreference = 'Stop'
if (-not $env:CORRAL_SIM_STATE) { throw 'CORRAL_SIM_STATE is not set: the test must create the simulated machine first.' }
if (-not $NoProfile -or -not $NonInteractive -or $ExecutionPolicy -ne 'Bypass') {
    throw "the elevated powershell.exe was not asked for -NoProfile -NonInteractive -ExecutionPolicy Bypass"
}
if ([System.IO.Path]::GetFileName($File) -ne 'elevated-host.ps1') { throw "the elevated powershell.exe was asked to run $File, not elevated-host.ps1" }

Import-Module -Name (Join-Path $PSScriptRoot 'CorralWindowsSim.psm1') -Global -Force
$packageRoot = [System.IO.Path]::GetFullPath((Join-Path (Split-Path -Parent $File) '../../..'))
$manifest = Join-Path (Join-Path (Join-Path $packageRoot 'ps-module') 'Corral') 'Corral.psd1'
$module = Import-Module -Name $manifest -PassThru -ErrorAction Stop
Enable-CorralWindowsSim -Module $module

& $File -PlanFile $PlanFile -ResultFile $ResultFile
exit $LASTEXITCODE
