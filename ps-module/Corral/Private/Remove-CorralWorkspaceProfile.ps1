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
    $root = Join-Path (Join-Path $ProfilePath 'corral-ws') (Get-CorralWorkspaceProfileName -Path $Workspace)
    $item = Get-Item -LiteralPath $root -Force -ErrorAction Ignore
    if (-not $item) { return $false }
    if (-not $PSCmdlet.ShouldProcess($root, 'Remove the workspace profile folders')) { return $false }
    $reparse = [System.IO.FileAttributes]::ReparsePoint
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
