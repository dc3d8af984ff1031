function Revoke-CorralWorkspace {
    <#
    .SYNOPSIS
    Removes exactly the ACEs Grant-CorralWorkspace added to one workspace, and forgets the workspace.

    .DESCRIPTION
    Undoes, newest first, the journaled ACEs of the workspace's scope (taking away only the
    rights each one added, so access that was there before the grant stays), then removes the
    workspace and its capability SID from state.json. Works on a workspace folder that no
    longer exists (its ACEs went with it).

    .PARAMETER User
    The real user the workspace was granted for.

    .PARAMETER Path
    The workspace folder as granted.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Revoke-CorralWorkspace -User alice -Path C:\src\app -Force

    .OUTPUTS
    PSCustomObject with Path, AcesRemoved and Changed.
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
    if ($state['users'].Contains($User)) {
        $workspaces = @($state['users'][$User]['workspaces'] | Where-Object { $_ })
        $known = @($workspaces | Where-Object { $_['path'] -eq $root }).Count -gt 0
    }
    if ($entries.Count -eq 0 -and -not $known) {
        return [pscustomobject]@{ Path = $root; AcesRemoved = 0; Changed = $false }
    }
    if (-not $PSCmdlet.ShouldProcess($root, "Revoke the sandbox grants of $User")) {
        return [pscustomobject]@{ Path = $root; AcesRemoved = 0; Changed = $false }
    }
    [array]::Reverse($entries)
    foreach ($entry in $entries) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
    if ($known) {
        $state['users'][$User]['workspaces'] = @($workspaces | Where-Object { $_['path'] -ne $root })
        Write-CorralStateFile -State $state -Confirm:$false
    }
    [pscustomobject]@{ Path = $root; AcesRemoved = $entries.Count; Changed = $true }
}
