function Uninstall-Corral {
    <#
    .SYNOPSIS
    Removes everything this installation changed, from its journal: ACEs, firewall rules, runner, identities, group, state.

    .DESCRIPTION
    Undoes, newest first, every journaled change still in effect — exactly the ACEs added (only
    the rights each added), the firewall rules, the installed runner folder, profiles, sign-in
    screen entries, credential files, the identities and the group — then deletes
    %ProgramData%\Corral (state, journal, credentials, logs). Things Corral did not create are
    never touched. A step that fails does not stop the others; the journal is kept so that a
    re-run finishes the job, and the error (CorralStepFailed) lists what is left. Running it
    when nothing is installed changes nothing.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .PARAMETER KeepState
    Keep %ProgramData%\Corral (for diagnosis); everything else goes.

    .EXAMPLE
    Uninstall-Corral -Force

    .OUTPUTS
    PSCustomObject with Undone (kind and target of each change reversed), Changed and Summary.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([pscustomobject])]
    param(
        [switch]$Force,
        [switch]$KeepState
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    $entries = @(Read-CorralJournal)
    $hasState = Test-Path -LiteralPath $installation.StateDir
    if ($entries.Count -eq 0 -and -not $hasState) {
        return [pscustomobject]@{ Undone = @(); Changed = $false; Summary = "No changes: Corral installation '$($installation.Name)' is not installed." }
    }
    if (-not $PSCmdlet.ShouldProcess("Corral installation '$($installation.Name)'", 'Uninstall everything it changed')) {
        return [pscustomobject]@{ Undone = @(); Changed = $false; Summary = 'Nothing done (-WhatIf or declined).' }
    }
    [array]::Reverse($entries)
    $undone = [System.Collections.Generic.List[object]]::new()
    $failed = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in $entries) {
        $target = $entry['undo']['path']
        if (-not $target) { $target = $entry['undo']['name'] }
        if (-not $target) { $target = $entry['undo']['sid'] }
        try {
            Undo-CorralJournalEntry -Entry $entry -Confirm:$false
            $undone.Add([ordered]@{ kind = $entry['kind']; target = $target })
        } catch {
            $failed.Add("$($entry['kind']) ${target}: $($_.Exception.Message)")
        }
    }
    if ($failed.Count -gt 0) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category NotSpecified `
            -Message ("Uninstall left $($failed.Count) change(s) in place (the journal is kept; run it again): " + ($failed -join '; '))))
    }
    if (-not $KeepState -and (Test-Path -LiteralPath $installation.StateDir)) {
        Remove-Item -LiteralPath $installation.StateDir -Recurse -Force -ErrorAction Stop
    }
    [pscustomobject]@{ Undone = $undone.ToArray(); Changed = $true; Summary = "Removed $($undone.Count) change(s)." }
}
