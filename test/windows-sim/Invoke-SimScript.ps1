<#
.SYNOPSIS
Runs one PowerShell script (install.ps1) as a process of the simulated Windows, and exits with its exit code.

.DESCRIPTION
Test-only. Stands for the process that Intune, SCCM or an administrator starts:
`powershell.exe -File <Script> <arguments>`. Before the script runs it loads the simulated
Windows (CorralWindowsSim.psm1: the LocalAccounts and NetSecurity stand-ins, global) and the
Corral module that the script will import — the one bundled next to the script,
<script folder>\ps-module\Corral — with its Windows-only seams replaced by the simulation.
install.ps1 imports that same file by path without -Force, so it gets the simulated module.

Everything else is the script's own: its parameters, its exit code, its transcript. The
machine is the state file named by $env:CORRAL_SIM_STATE; who runs it is
$env:CORRAL_SIM_IDENTITY (S-1-5-18 = SYSTEM) and $env:CORRAL_SIM_ELEVATED ('1' = the token
holds Administrators), both set by the test.

.PARAMETER Script
The script to run (a copy of install.ps1 in a package folder).

.PARAMETER EncodedCommand
Instead of running -Script with -ArgumentsBase64: the command powershell.exe would run for
`-EncodedCommand <this>` (base64 of UTF-16LE text, as Windows PowerShell decodes it). -Script
then only locates the package whose module is loaded. Used by the sim's Start-CorralProcess,
which stands for install.ps1 starting the 64-bit PowerShell from a 32-bit host.

.PARAMETER ArgumentsBase64
The script's parameters as base64 of a UTF-8 JSON object ({"User":"alice","Workspace":["…"],
"NonInteractive":true}); true stands for a switch that is present. Passed as data and
splatted, never turned into command text.
#>
param(
    [Parameter(Mandatory)][string]$Script,
    [string]$ArgumentsBase64 = '',
    [string]$EncodedCommand = ''
)
$ErrorActionPreference = 'Stop'
if (-not $env:CORRAL_SIM_STATE) { throw 'CORRAL_SIM_STATE is not set: the test must create the simulated machine first.' }

Import-Module -Name (Join-Path $PSScriptRoot 'CorralWindowsSim.psm1') -Global -Force
$manifest = Join-Path (Split-Path -Parent $Script) 'ps-module\Corral\Corral.psd1'
if (Test-Path -LiteralPath $manifest -PathType Leaf) {
    # A package without the module (the exit-code-5 case) gets nothing loaded: the script finds it missing.
    $module = Import-Module -Name $manifest -PassThru -ErrorAction Stop
    Enable-CorralWindowsSim -Module $module
}

if ($EncodedCommand) {
    # What powershell.exe -EncodedCommand does: decode, then run the text as its command.
    & ([scriptblock]::Create([System.Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($EncodedCommand))))
    exit $LASTEXITCODE
}

$arguments = @{}
if ($ArgumentsBase64) {
    $json = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ArgumentsBase64))
    $parsed = ConvertFrom-Json -InputObject $json -AsHashtable
    foreach ($name in $parsed.Keys) {
        $value = $parsed[$name]
        # Arrays come back from JSON as object[]; the script's [string[]] parameters take them as they are.
        $arguments[$name] = if ($value -is [System.Collections.IList]) { [string[]]@($value) } else { $value }
    }
}
& $Script @arguments
exit $LASTEXITCODE
