function Revoke-CorralWorkspace {
    <#
    .SYNOPSIS
    Removes exactly the ACEs Grant-CorralWorkspace added to one workspace, and forgets the workspace.

    .DESCRIPTION
    In this order: removes the workspace and its capability SID from state.json (from then on
    the runner refuses new sessions in it, so none makes its profile folders again), removes
    each identity's own profile folders for the workspace (Remove-CorralWorkspaceProfile:
    <profile>\corral-ws\<ws-id>, deleted without following any junction a session left
    there), then undoes, newest first, the journaled ACEs of the workspace's scope (the grant
    and the protected paths' deny ACEs; each takes away only the rights it added, so access
    that was there before the grant stays). Works on a workspace folder that no longer exists
    (its ACEs went with it), and on one no longer recorded: a run stopped half-way is finished
    by running it again. The ACEs go last so that, wherever a run stops, the journal still
    holds some, which Get-CorralState reports even unelevated (the identities' profiles are
    not readable unelevated, so leftover folders alone could not be seen from there).

    Refused (CorralWorkspaceInUse, nothing changed) while a process runs as one of the user's
    identities (Get-CorralIdentityProcess): a live session could swap a folder for a junction
    while the elevated deletion walks its profile folders. Nothing a session cannot forge says
    which workspace a process works in, so any session of the user counts.

    .PARAMETER User
    The real user the workspace was granted for.

    .PARAMETER Path
    The workspace folder as granted.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Revoke-CorralWorkspace -User alice -Path C:\src\app -Force

    .OUTPUTS
    PSCustomObject with Path, AcesRemoved, ProfilesRemoved and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Path,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $root = [System.IO.Path]::GetFullPath($Path).TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar)
    $entries = @(Read-CorralJournal -Scope "workspace:$($root.ToLowerInvariant())")
    $state = Read-CorralStateFile
    $workspaces = @()
    $known = $false
    # The workspace's profile folders are named after the path as recorded (its spelling).
    $recordedPath = $root
    $identityProfiles = @()
    $identityNames = @()
    if ($state['users'].Contains($User)) {
        $workspaces = @($state['users'][$User]['workspaces'] | Where-Object { $_ })
        $recorded = @($workspaces | Where-Object { $_['path'] -eq $root })
        $known = $recorded.Count -gt 0
        if ($known) { $recordedPath = [string]$recorded[0]['path'] }
        $identities = $state['users'][$User]['identities']
        foreach ($kind in 'offline', 'online') {
            if ($identities -and $identities[$kind]) {
                $identityNames += [string]$identities[$kind]['name']
                $identityProfile = Get-CorralProfilePath -Sid $identities[$kind]['sid']
                if ($identityProfile) { $identityProfiles += $identityProfile }
            }
        }
    }
    $leftProfiles = @($identityProfiles | Where-Object { Test-Path -LiteralPath (Join-Path (Join-Path $_ 'corral-ws') (Get-CorralWorkspaceProfileName -Path $recordedPath)) })
    if ($entries.Count -eq 0 -and -not $known -and $leftProfiles.Count -eq 0) {
        return [pscustomobject]@{ Path = $root; AcesRemoved = 0; ProfilesRemoved = 0; Changed = $false }
    }
    if (-not $PSCmdlet.ShouldProcess($root, "Revoke the sandbox grants of $User")) {
        return [pscustomobject]@{ Path = $root; AcesRemoved = 0; ProfilesRemoved = 0; Changed = $false }
    }
    $running = @(foreach ($name in $identityNames) { Get-CorralIdentityProcess -Name $name })
    if ($running.Count -gt 0) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralWorkspaceInUse' -Category ResourceBusy `
            -Message "$User's sessions are running (process ids $($running -join ', ')): end them, then revoke $root again; nothing was changed." -TargetObject $root))
    }
    if ($known) {
        $state['users'][$User]['workspaces'] = @($workspaces | Where-Object { $_['path'] -ne $root })
        Write-CorralStateFile -State $state -Confirm:$false
    }
    $profilesRemoved = 0
    foreach ($identityProfile in $identityProfiles) {
        if (Remove-CorralWorkspaceProfile -ProfilePath $identityProfile -Workspace $recordedPath -Confirm:$false) { $profilesRemoved++ }
    }
    [array]::Reverse($entries)
    foreach ($entry in $entries) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
    [pscustomobject]@{ Path = $root; AcesRemoved = $entries.Count; ProfilesRemoved = $profilesRemoved; Changed = $true }
}
