<#
.SYNOPSIS
    Runs one Corral plan elevated: the single UAC prompt of `corral setup` / `corral teardown`
    started from an unelevated terminal.

.DESCRIPTION
    Started by the orchestrator (orchestrator/provision/windows/elevation.ts) through
    ShellExecute with the runas verb. Reads the plan file (JSON: version, installation,
    steps of {index, operation, argumentsBase64}), validates every step before running any,
    imports the Corral module bundled with this package (..\..\..\ps-module\Corral, found
    from this script's own location, never from the plan), and runs each step as

        Invoke-CorralOperation -Operation <step.operation> -ArgumentsBase64 <step.argumentsBase64>

    with both values passed as data (splatted from the parsed plan, never as script text). After each step it appends one JSON line to the result
    file: {"event":"step","index":N,"output":"<the module's result line>"}. It stops at the
    first step whose result is not ok (fail closed). Other lines: "started", "stopped",
    "done", and "fatal" (with an error {errorId, message}) when the plan itself is unusable.

    Threat model: the plan file comes from the unelevated user. It can name only functions
    the module exports (checked twice: a name pattern, then the export list) and carries
    arguments only as base64 JSON, so it can make the module do what the module offers and
    nothing else. A program of the same user that rewrites the file could equally raise its
    own UAC prompt; UAC does not separate it from the user.

    Exit codes: 0 every step ok; 1 a step failed; 2 the plan could not be run at all.

.PARAMETER PlanFile
    The plan written by the orchestrator (UTF-8 JSON).

.PARAMETER ResultFile
    The file (created empty by the orchestrator) to which one JSON line per event is appended.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $PlanFile,

    [Parameter(Mandatory = $true)]
    [string] $ResultFile
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$utf8NoBom = New-Object System.Text.UTF8Encoding $false
$operationPattern = '^[A-Z][a-z]+-Corral[A-Za-z]*$'
$base64Pattern = '^[A-Za-z0-9+/]*={0,2}$'
$installationPattern = '^[a-z][a-z0-9]{1,11}$'
$script:fatalErrorId = 'CorralStepFailed'

function Write-ResultLine {
    param([Parameter(Mandatory = $true)] [hashtable] $Record)
    $line = ConvertTo-Json -InputObject $Record -Compress -Depth 6
    [System.IO.File]::AppendAllText($ResultFile, $line + "`n", $utf8NoBom)
}

function Test-ResultOk {
    param([string] $Output)
    foreach ($line in ($Output -split "`r?`n")) {
        $text = $line.Trim()
        if (-not $text.StartsWith('{')) { continue }
        try {
            $parsed = ConvertFrom-Json -InputObject $text
        } catch {
            continue
        }
        if (($parsed.PSObject.Properties.Name -contains 'ok') -and ($parsed.ok -eq $true)) { return $true }
    }
    return $false
}

try {
    $plan = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($PlanFile, $utf8NoBom))
    if ($plan.version -ne 1) {
        throw "plan file ${PlanFile}: version $($plan.version) is not supported (expected 1)"
    }
    if (-not ($plan.installation -is [string]) -or ($plan.installation -cnotmatch $installationPattern)) {
        throw "plan file ${PlanFile}: installation name is not valid"
    }
    $steps = @($plan.steps)
    foreach ($step in $steps) {
        if (-not ($step.operation -is [string]) -or ($step.operation -cnotmatch $operationPattern)) {
            $script:fatalErrorId = 'CorralOperationUnknown'
            throw "plan file ${PlanFile}: step $($step.index) names no valid operation"
        }
        if (-not ($step.argumentsBase64 -is [string]) -or ($step.argumentsBase64 -cnotmatch $base64Pattern)) {
            throw "plan file ${PlanFile}: step $($step.index) arguments are not base64"
        }
    }

    # The installation the module acts on (a test instance name, or corral).
    $env:CORRAL_INSTANCE = $plan.installation
    # The package root is three folders up (orchestrator\provision\windows); joined one part at a
    # time so that the path is right on any PowerShell 7 too, not only with Windows separators.
    $packageRoot = [System.IO.Path]::GetFullPath((Join-Path -Path (Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath '..') -ChildPath '..') -ChildPath '..'))
    $manifest = Join-Path -Path (Join-Path -Path (Join-Path -Path $packageRoot -ChildPath 'ps-module') -ChildPath 'Corral') -ChildPath 'Corral.psd1'
    # By path, without -Force: this process is new, so nothing named Corral is loaded unless it
    # is this same file — which is how the simulated Windows keeps its seams in place
    # (test/windows-sim/Invoke-SimElevated.ps1), as install.ps1 does.
    $module = Import-Module -Name $manifest -PassThru | Select-Object -First 1
    $exported = @($module.ExportedFunctions.Keys)
    foreach ($step in $steps) {
        if ($exported -notcontains $step.operation) {
            $script:fatalErrorId = 'CorralOperationUnknown'
            throw "the Corral module at $manifest does not export $($step.operation)"
        }
    }

    Write-ResultLine -Record @{ event = 'started'; pid = $PID; steps = $steps.Count }
    foreach ($step in $steps) {
        # Splatted (same call as -Operation … -ArgumentsBase64 …; the values stay data).
        $call = @{ Operation = [string]$step.operation; ArgumentsBase64 = [string]$step.argumentsBase64 }
        $lines = @(Invoke-CorralOperation @call)
        $output = ($lines | ForEach-Object { [string]$_ }) -join "`n"
        Write-ResultLine -Record @{ event = 'step'; index = $step.index; output = $output }
        if (-not (Test-ResultOk -Output $output)) {
            Write-ResultLine -Record @{ event = 'stopped'; index = $step.index }
            exit 1
        }
    }
    Write-ResultLine -Record @{ event = 'done' }
    exit 0
} catch {
    $message = $_.Exception.Message
    try {
        Write-ResultLine -Record @{ event = 'fatal'; error = @{ errorId = $script:fatalErrorId; message = $message } }
    } catch {
        # The result file itself is unusable: the exit code is all the orchestrator gets.
        [System.Console]::Error.WriteLine("corral elevated host: $message")
    }
    exit 2
}
