function Resolve-CorralWorkspacePath {
    <#
    .SYNOPSIS
    The canonical path of a workspace folder, after checking it may be granted.

    .DESCRIPTION
    CorralWorkspaceInvalid unless the path is absolute, an existing folder, not a reparse point
    (a junction would move the grant to its target), not a drive root and not under the
    Windows, Program Files or ProgramData folders. CorralWorkspaceNotOwned unless its owner is
    the real user (-OwnerSid) — a user can grant only their own files to their sandbox.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [string]$OwnerSid
    )
    $invalid = {
        param([string]$why)
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralWorkspaceInvalid' -Category InvalidArgument -TargetObject $Path `
            -Message "Workspace '$Path' $why"))
    }
    if (-not [System.IO.Path]::IsPathRooted($Path) -or $Path.StartsWith('\\?\')) { & $invalid 'is not an absolute path (C:\...).' }
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) { & $invalid 'is not an existing folder.' }
    $item = Get-Item -LiteralPath $Path -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) { & $invalid 'is a junction or symbolic link; pass the folder it points to.' }
    $full = $item.FullName.TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar)
    if ($full.Length -le 2 -or $item.Parent -eq $null) { & $invalid 'is a drive root.' }
    foreach ($system in @($env:windir, $env:ProgramFiles, ${env:ProgramFiles(x86)}, $env:ProgramData)) {
        if ($system -and (Test-CorralPathOverlap -Path $full -Other $system)) { & $invalid "overlaps the system folder $system." }
    }
    $owner = Get-CorralOwnerSid -Path $full
    if ($owner -ne $OwnerSid) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralWorkspaceNotOwned' -Category PermissionDenied -TargetObject $full `
            -Message "Workspace '$full' is owned by $owner, not by the real user ($OwnerSid); a workspace must belong to the user it is granted for."))
    }
    return $full
}
