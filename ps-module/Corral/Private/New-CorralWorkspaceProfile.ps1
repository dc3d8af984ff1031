function New-CorralWorkspaceProfile {
    <#
    .SYNOPSIS
    Creates (or re-secures) one identity's own profile folders for one workspace.

    .DESCRIPTION
    <profile>\corral-ws\<ws-id> with AppData\Roaming, AppData\Local and Temp below it, where
    <ws-id> is Get-CorralWorkspaceProfileName of the recorded workspace path. The runner gives
    every command of a session of that workspace these folders as USERPROFILE, HOME, APPDATA,
    LOCALAPPDATA and (a per-session folder in Temp) TEMP/TMP, so that nothing a session of one
    workspace leaves in its profile (a site-packages .pth, .gitconfig, .npmrc) runs in a
    session of another (runner/windows/workspace-profile.ts says what a command can write).
    DACLs, protected, owner Administrators, written on every call:
    - corral-ws: the identity, SYSTEM and Administrators full control. No SID a command token
      restricts to is named, so no session creates or replaces a workspace's folder there.
    - <ws-id>, inherited below: the identity full control (the normal access check), the
      workspace's capability SID Modify (the restricted check: only a session of this
      workspace holds it), SYSTEM and Administrators full control. The same ACEs as the
      runner's workspaceProfileAces, which makes the folders itself when they are missing.
    A reparse point (junction, link) or a file at corral-ws or <ws-id> is refused
    (CorralStepFailed): this runs elevated, and an ACL written through a junction would land
    on its target.

    .PARAMETER ProfilePath
    The identity's profile folder (Get-CorralProfilePath).

    .PARAMETER Workspace
    The workspace path as state.json records it.

    .PARAMETER IdentitySid
    The identity's SID.

    .PARAMETER CapabilitySid
    The workspace's capability SID (state.json).

    .EXAMPLE
    New-CorralWorkspaceProfile -ProfilePath C:\Users\crl-off-alice -Workspace C:\src\app -IdentitySid S-1-5-21-1-2-3-1001 -CapabilitySid S-1-5-21-7-8-9-10 -Confirm:$false

    .OUTPUTS
    PSCustomObject with Path, Roaming, Local, Temp and Created (whether a folder was made).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$ProfilePath,
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Workspace,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$IdentitySid,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$CapabilitySid
    )
    $container = Join-Path $ProfilePath 'corral-ws'
    $root = Join-Path $container (Get-CorralWorkspaceProfileName -Path $Workspace)
    $appData = Join-Path $root 'AppData'
    $result = [pscustomobject]@{
        Path    = $root
        Roaming = Join-Path $appData 'Roaming'
        Local   = Join-Path $appData 'Local'
        Temp    = Join-Path $root 'Temp'
        Created = $false
    }
    if (-not $PSCmdlet.ShouldProcess($root, "Create the workspace profile folders of $IdentitySid")) { return $result }
    $full = [int][System.Security.AccessControl.FileSystemRights]::FullControl
    $modify = [int][System.Security.AccessControl.FileSystemRights]'Modify, Synchronize'
    $inherit = [int][System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $ace = { param([string]$sid, [int]$rights) [ordered]@{ sid = $sid; rights = $rights; type = 'Allow'; inheritance = $inherit; propagation = 0 } }
    $admins = 'S-1-5-32-544'
    $system = 'S-1-5-18'
    $levels = @(
        @{ Path = $container; Aces = @((& $ace $IdentitySid $full), (& $ace $system $full), (& $ace $admins $full)) }
        @{ Path = $root; Aces = @((& $ace $IdentitySid $full), (& $ace $CapabilitySid $modify), (& $ace $system $full), (& $ace $admins $full)) }
        @{ Path = $appData }
        @{ Path = $result.Roaming }
        @{ Path = $result.Local }
        @{ Path = $result.Temp }
    )
    foreach ($level in $levels) {
        $item = Get-Item -LiteralPath $level.Path -Force -ErrorAction Ignore
        if ($item) {
            $isLink = ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0
            if ($isLink -or $item -isnot [System.IO.DirectoryInfo]) {
                $what = if ($isLink) { 'a reparse point (junction or link)' } else { 'a file' }
                $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category InvalidData `
                            -Message "$($level.Path) is $what, not a folder: remove it, then grant the workspace again." -TargetObject $level.Path))
            }
        } else {
            $null = New-Item -ItemType Directory -Path $level.Path -ErrorAction Stop
            $result.Created = $true
        }
        if ($level.ContainsKey('Aces')) { Set-CorralFileAcl -Path $level.Path -Owner $admins -Aces $level.Aces -Confirm:$false }
    }
    return $result
}
