function Remove-CorralWorkspaceProfile {
    <#
    .SYNOPSIS
    Removes one identity's own profile folders for one workspace (what New-CorralWorkspaceProfile and the runner made).

    .DESCRIPTION
    Deletes <profile>\corral-ws\<ws-id> and everything in it, never following a reparse point:
    this runs elevated, and sessions of the workspace could write below <ws-id> (a junction
    to C:\Windows is made without any privilege), so each junction or link met is removed
    as a link, its target left alone (Windows PowerShell 5.1's Remove-Item -Recurse would
    follow a junction). Read-only files are made writable first. Nothing happens when the
    folder does not exist. corral-ws itself stays (other workspaces' folders live there; the
    identity's profile goes with the identity).

    Threat model: the identity owns its profile, so it can also delete corral-ws (once its
    <ws-id> folders are empty) and put a junction in its place, pointing at a folder that holds
    a <ws-id> of someone else's. So every level is checked before anything is deleted: the
    profile folder itself must not be a reparse point (CorralStepFailed, nothing deleted: the
    identity cannot make it one, so one there is an administrator's redirection this function
    does not walk), a corral-ws that is one is removed as a link only (with a warning; the
    runner and the next grant make a new one), and the folder deleted is always
    <ProfilePath>\corral-ws\<ws-id>, strictly inside the profile. Residual: a session still
    running as the identity could swap a folder for a junction between the check of an entry
    and the listing of its children; Revoke-CorralWorkspace refuses to run while a process of
    the identity runs (Get-CorralIdentityProcess).

    .PARAMETER ProfilePath
    The identity's profile folder (Get-CorralProfilePath).

    .PARAMETER Workspace
    The workspace path as state.json records it.

    .EXAMPLE
    Remove-CorralWorkspaceProfile -ProfilePath C:\Users\crl-off-alice -Workspace C:\src\app -Confirm:$false

    .OUTPUTS
    System.Boolean: whether a folder was removed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$ProfilePath,
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Workspace
    )
    $reparse = [System.IO.FileAttributes]::ReparsePoint
    $container = Join-Path $ProfilePath 'corral-ws'
    $root = Join-Path $container (Get-CorralWorkspaceProfileName -Path $Workspace)
    if (-not (Test-CorralPathInside -Path $root -Folder $ProfilePath)) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category SecurityError `
            -Message "Refusing to delete $root`: it is not inside the identity's profile $ProfilePath." -TargetObject $root))
    }
    $profileItem = Get-Item -LiteralPath $ProfilePath -Force -ErrorAction Ignore
    if (-not $profileItem) { return $false }
    if (($profileItem.Attributes -band $reparse) -ne 0) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category SecurityError `
            -Message "Refusing to delete below $ProfilePath`: the profile folder is a junction or link; remove $root by hand after checking where it leads." -TargetObject $ProfilePath))
    }
    $containerItem = Get-Item -LiteralPath $container -Force -ErrorAction Ignore
    if (-not $containerItem) { return $false }
    if (($containerItem.Attributes -band $reparse) -ne 0) {
        # Planted in place of the folder Grant made (owner Administrators): never followed.
        if (-not $PSCmdlet.ShouldProcess($container, 'Remove the junction or link that replaced corral-ws (its target is kept)')) { return $false }
        Write-Warning "$container was a junction or link, not the folder Corral made: removed as a link, nothing it points to was touched."
        if ($containerItem -is [System.IO.DirectoryInfo]) { [System.IO.Directory]::Delete($containerItem.FullName, $false) } else { [System.IO.File]::Delete($containerItem.FullName) }
        return $true
    }
    if (-not ($containerItem -is [System.IO.DirectoryInfo])) { return $false }
    $item = Get-Item -LiteralPath $root -Force -ErrorAction Ignore
    if (-not $item) { return $false }
    if (-not $PSCmdlet.ShouldProcess($root, 'Remove the workspace profile folders')) { return $false }
    $removeEntry = $null
    $removeEntry = {
        param([System.IO.FileSystemInfo]$entry)
        if (($entry.Attributes -band $reparse) -ne 0) {
            # The link itself: Directory.Delete without recursion removes a junction or directory
            # link, File.Delete a file link; neither touches the target.
            if ($entry -is [System.IO.DirectoryInfo]) { [System.IO.Directory]::Delete($entry.FullName, $false) } else { [System.IO.File]::Delete($entry.FullName) }
            return
        }
        if ($entry -is [System.IO.DirectoryInfo]) {
            # Read again right before listing it: what was a folder a moment ago may be a link now.
            $entry.Refresh()
            if (($entry.Attributes -band $reparse) -ne 0) { [System.IO.Directory]::Delete($entry.FullName, $false); return }
            foreach ($child in @($entry.GetFileSystemInfos())) { & $removeEntry $child }
            [System.IO.Directory]::Delete($entry.FullName, $false)
            return
        }
        if (($entry.Attributes -band [System.IO.FileAttributes]::ReadOnly) -ne 0) { $entry.Attributes = $entry.Attributes -band (-bnot [System.IO.FileAttributes]::ReadOnly) }
        [System.IO.File]::Delete($entry.FullName)
    }
    & $removeEntry $item
    return $true
}
