function Grant-CorralWorkspace {
    <#
    .SYNOPSIS
    Lets a real user's sandbox identities write one workspace, except its protected paths.

    .DESCRIPTION
    Once per workspace (never per command):
    - a capability SID for the workspace (random S-1-5-21-x-y-z-rid), kept in state.json
      before any ACE names it (a crash never leaves an ACE whose SID is lost); the runner puts
      it in the session's write-restricted token, so a session writes only its own workspace;
    - for the user's own group (Install-CorralUserGroup: members exactly the user's two
      identities) and the capability SID: on the root folder itself read, execute and write
      but no delete and no delete-child; on everything below (inherit-only) Modify, which has
      DELETE on each item but never FILE_DELETE_CHILD — delete-child on a parent would let a
      child be deleted despite a deny-delete ACE on it.
      Why these two SIDs and no other: a command runs with a write-restricted token whose
      restricting SIDs are the session's capability SID(s), its logon SID and Everyone
      (runner/windows/token-sids.ts), never the identity SID; a write
      needs the normal check (user and groups) and the restricted check (restricting SIDs
      only) to pass. The user's group passes the normal check for this user's identities
      only — never the machine-wide sandbox group, which would admit another developer's
      identity; the capability SID passes the restricted check only in a session opened for
      this workspace. The identity SID is never named here: the user's group passes the
      normal check already, for exactly this user's two identities;
    - for each protected path that exists (default .git — folder, or gitdir file and the folder
      it names —, .corral, .vscode, .idea, .mcp.json): deny write, delete, delete-child, change
      permissions and take ownership, inherited by everything below; protected paths that do
      not exist yet are reported in Unprotected (an ACE needs an object);
    - for each -DenyRead path inside the workspace: deny everything;
    - for each of the user's identities that has a profile, its own profile folders for this
      workspace (New-CorralWorkspaceProfile: <profile>\corral-ws\<ws-id>, AppData\Roaming,
      AppData\Local, Temp, writable through this workspace's capability SID only), which the
      runner gives commands as USERPROFILE, APPDATA, LOCALAPPDATA and TEMP, so that nothing a
      session of another workspace leaves in its profile runs here.
    Deny ACEs name the same two SIDs. Explicit ACEs already giving the same rights are
    skipped; each ACE added is journaled (scope workspace:<path>) so Revoke-CorralWorkspace
    removes exactly those. ACEs an earlier grant of this workspace journaled for any other SID
    (an identity SID or the machine-wide group, from an older Corral) are removed after the
    new ones are in place, so the workspace is never less protected than before or after.

    .PARAMETER User
    The real user (owner of the workspace) whose identities get access.

    .PARAMETER Path
    The workspace folder: absolute, existing, owned by the user.

    .PARAMETER Protected
    Names or paths (relative to the workspace, or absolute inside it) kept read-only.

    .PARAMETER DenyRead
    Absolute paths the identities may not read; those inside the workspace get deny ACEs.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Grant-CorralWorkspace -User alice -Path C:\src\app -Confirm:$false

    .EXAMPLE
    Grant-CorralWorkspace -User alice -Path C:\src\app -Protected .git, .corral, secrets\prod.json -Confirm:$false

    .OUTPUTS
    PSCustomObject with Path, CapabilitySid, AcesAdded, Unprotected, Profiles (the identities' workspace profile folders), Changed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Path,
        [string[]]$Protected = @('.git', '.corral', '.vscode', '.idea', '.mcp.json'),
        [string[]]$DenyRead = @(),
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    $realUser = Resolve-CorralRealUser -User $User
    $state = Read-CorralStateFile
    $null = Get-CorralRecordedIdentity -State $state -User $User
    $groupSid = Get-CorralUserGroupSid -User $User -State $state
    $root = Resolve-CorralWorkspacePath -Path $Path -OwnerSid $realUser.Sid
    $scope = "workspace:$($root.ToLowerInvariant())"

    $workspaces = [System.Collections.Generic.List[object]]::new()
    foreach ($w in @($state['users'][$User]['workspaces'])) { if ($w) { $workspaces.Add($w) } }
    $record = $workspaces | Where-Object { $_['path'] -eq $root } | Select-Object -First 1
    $changes = [System.Collections.Generic.List[string]]::new()
    if (-not $record) {
        $record = [ordered]@{ path = $root; capabilitySid = (New-CorralCapabilitySid) }
        if ($PSCmdlet.ShouldProcess($installation.StateFile, "Record workspace $root")) {
            $workspaces.Add($record)
            $state['users'][$User]['workspaces'] = $workspaces.ToArray()
            Write-CorralStateFile -State $state -Confirm:$false
            $changes.Add("recorded workspace $root with capability SID $($record['capabilitySid'])")
        }
    }
    # The user's group and this workspace's capability SID, never an identity SID (see .DESCRIPTION).
    $sids = @($groupSid, $record['capabilitySid'])

    $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $rootRights = [System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Write, Synchronize'
    $childRights = [System.Security.AccessControl.FileSystemRights]'Modify, Synchronize'
    $denyWrite = [System.Security.AccessControl.FileSystemRights]'Write, Delete, DeleteSubdirectoriesAndFiles, ChangePermissions, TakeOwnership'
    $added = [System.Collections.Generic.List[object]]::new()
    $add = {
        param([string]$target, [string]$sid, $rights, [string]$type, $inheritance, $propagation)
        $ace = Add-CorralAce -Path $target -Sid $sid -Rights $rights -Type $type -Inheritance $inheritance -Propagation $propagation -Scope $scope -WhatIf:$WhatIfPreference -Confirm:$false
        if ($ace) { $added.Add($ace) }
    }
    foreach ($sid in $sids) {
        & $add $root $sid $rootRights 'Allow' 'None' 'None'
        & $add $root $sid $childRights 'Allow' $inherit 'InheritOnly'
    }

    $protectedPaths = [System.Collections.Generic.List[string]]::new()
    $unprotected = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in $Protected) {
        $candidate = if ([System.IO.Path]::IsPathRooted($entry)) { $entry } else { Join-Path $root $entry }
        # Only paths strictly inside the workspace: a deny ACE on a parent would reach far beyond it.
        if (-not (Test-CorralPathInside -Path $candidate -Folder $root)) { continue }
        if (-not (Test-Path -LiteralPath $candidate)) { $unprotected.Add($candidate); continue }
        $protectedPaths.Add($candidate)
        if ((Split-Path -Leaf $candidate) -eq '.git' -and (Test-Path -LiteralPath $candidate -PathType Leaf)) {
            # A worktree or submodule: ".git" is a file "gitdir: <path>"; protect that folder too.
            $line = Get-Content -LiteralPath $candidate -TotalCount 1 -ErrorAction SilentlyContinue
            if ($line -match '^gitdir:\s*(.+)$') {
                $gitdir = $Matches[1].Trim()
                if (-not [System.IO.Path]::IsPathRooted($gitdir)) { $gitdir = Join-Path (Split-Path -Parent $candidate) $gitdir }
                if (Test-Path -LiteralPath $gitdir -PathType Container) { $protectedPaths.Add((Get-Item -LiteralPath $gitdir -Force).FullName) }
            }
        }
    }
    foreach ($target in $protectedPaths) {
        $flags = if (Test-Path -LiteralPath $target -PathType Container) { $inherit } else { 'None' }
        foreach ($sid in $sids) { & $add $target $sid $denyWrite 'Deny' $flags 'None' }
    }
    foreach ($secret in $DenyRead) {
        if (-not (Test-CorralPathInside -Path $secret -Folder $root) -or -not (Test-Path -LiteralPath $secret)) { continue }
        $flags = if (Test-Path -LiteralPath $secret -PathType Container) { $inherit } else { 'None' }
        foreach ($sid in $sids) { & $add $secret $sid ([System.Security.AccessControl.FileSystemRights]::FullControl) 'Deny' $flags 'None' }
    }
    if ($added.Count -gt 0) { $changes.Add("added $($added.Count) ACEs under $root") }
    $profiles = [System.Collections.Generic.List[string]]::new()
    foreach ($kind in 'offline', 'online') {
        $identity = $state['users'][$User]['identities'][$kind]
        if (-not $identity) { continue }
        $identityProfile = Get-CorralProfilePath -Sid $identity['sid']
        # No profile yet: the runner makes the folders at the identity's first session.
        if (-not $identityProfile) { continue }
        $made = New-CorralWorkspaceProfile -ProfilePath $identityProfile -Workspace $record['path'] -IdentitySid $identity['sid'] -CapabilitySid $record['capabilitySid'] -WhatIf:$WhatIfPreference -Confirm:$false
        $profiles.Add($made.Path)
        if ($made.Created) { $changes.Add("created the $kind identity's profile folders for $root ($($made.Path))") }
    }
    # Upgrade: ACEs this scope journaled for other SIDs (older grants) go, now that the new ones are in place.
    $stale = @(Read-CorralJournal -Scope $scope | Where-Object { $_['kind'] -eq 'ace' -and $sids -notcontains $_['undo']['sid'] })
    if ($stale.Count -gt 0 -and $PSCmdlet.ShouldProcess($root, "Remove $($stale.Count) ACEs of an earlier grant naming other SIDs")) {
        [array]::Reverse($stale)
        foreach ($entry in $stale) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
        $changes.Add("removed $($stale.Count) ACEs of an earlier grant under $root")
    }
    [pscustomobject]@{
        Path          = $root
        CapabilitySid = $record['capabilitySid']
        AcesAdded     = $added.ToArray()
        Unprotected   = $unprotected.ToArray()
        Profiles      = $profiles.ToArray()
        Changed       = ($changes.Count -gt 0)
        Changes       = $changes.ToArray()
    }
}
