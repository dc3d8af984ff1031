<#
.SYNOPSIS
Runs the whole Pester suite of ps-module/Corral and writes a JSON summary (test/pester/pester.test.ts reads it), or the folders given by -Path (npm run test:windows-sim: -Path Pester/Sim).

.DESCRIPTION
Runs every *.Tests.ps1 under Pester/ except Integration/ (those need an elevated Windows and run
on Windows CI: Invoke-Pester -Path Pester/Integration). Sim/ drives whole scripts (install.ps1)
against the simulated Windows in their own pwsh processes; on Windows PowerShell 5.1 its tests
show as skipped (the simulation needs PowerShell 7). Prints Pester's own summary, then writes
-ResultFile, when given: { passed, failed, skipped, total, durationSeconds, edition, version, failures: [{name,
message}], skips: [{name, reason}] }. Exit code 0 when nothing failed, 1 otherwise.
#>
param(
    [string]$ResultFile = '',
    [string[]]$Path = @((Join-Path $PSScriptRoot 'Public'), (Join-Path $PSScriptRoot 'Private'), (Join-Path $PSScriptRoot 'Module'), (Join-Path $PSScriptRoot 'Sim')),
    [string]$Output = 'Normal'
)
$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0
$configuration = New-PesterConfiguration
$configuration.Run.Path = @($Path | Where-Object { Test-Path -LiteralPath $_ })
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$result = Invoke-Pester -Configuration $configuration
$failures = @($result.Failed | ForEach-Object { [ordered]@{ name = $_.ExpandedPath; message = "$($_.ErrorRecord[0].Exception.Message)" } })
$failures += @($result.Containers | Where-Object Result -EQ 'Failed' | ForEach-Object { [ordered]@{ name = "container $($_.Item)"; message = "$($_.ErrorRecord[0])" } })
$skips = @($result.Skipped | ForEach-Object { [ordered]@{ name = $_.ExpandedPath; reason = "$($_.ErrorRecord[0].Exception.Message)" } })
$summary = [ordered]@{
    passed          = $result.PassedCount
    failed          = $result.FailedCount + @($result.Containers | Where-Object Result -EQ 'Failed').Count
    skipped         = $result.SkippedCount
    total           = $result.TotalCount
    durationSeconds = [Math]::Round($result.Duration.TotalSeconds, 1)
    edition         = $PSVersionTable.PSEdition
    version         = $PSVersionTable.PSVersion.ToString()
    failures        = $failures
    skips           = $skips
}
if ($ResultFile) { [System.IO.File]::WriteAllText($ResultFile, (ConvertTo-Json -InputObject $summary -Depth 5)) }
exit ([int]($summary.failed -gt 0))
