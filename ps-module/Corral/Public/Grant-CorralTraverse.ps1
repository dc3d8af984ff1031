function Grant-CorralTraverse {
    <#
    .SYNOPSIS
    Lets the sandbox identities reach a user's workspaces and read the toolchains in their profile.

    .DESCRIPTION
    User profiles are private, so the user's own group (Install-CorralUserGroup: members
    exactly this user's two identities; never the machine-wide sandbox group, which would let
    every other developer's identity read this user's toolchains) gets:
    - on every ancestor of each workspace (below the drive root) and of each toolchain folder:
      traverse, read attributes and read permissions on that folder only — no listing, nothing
      inherited;
    - on each toolchain folder of the real user's profile that exists (default .cargo, .rustup,
      .nvm, AppData\Roaming\npm, AppData\Roaming\nvm, .dotnet, go): read and execute, inherited.
    Never on a -DenyRead path, nor on a folder that contains one or lies inside one (an
    inherited read would expose it): those are skipped and listed in Skipped. Explicit ACEs
    already there are skipped; each ACE added is journaled (scope traverse:<user>) so
    Revoke-CorralTraverse and Uninstall-Corral remove exactly those. ACEs of that scope journaled
    for another SID (the machine-wide group, from an older Corral) are removed once the new
    ones are in place. Reads are not write-restricted, so no capability SID is needed here.

    .PARAMETER User
    The real user.

    .PARAMETER Workspace
    The user's workspace folders.

    .PARAMETER Toolchain
    Folders relative to the user's profile (or absolute) to make readable.

    .PARAMETER DenyRead
    Absolute paths (or ~\ relative to the profile) never to grant anything on.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Grant-CorralTraverse -User alice -Workspace C:\Users\alice\src\app -Confirm:$false

    .OUTPUTS
    PSCustomObject with AcesAdded, StaleRemoved, Skipped and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [string[]]$Workspace = @(),
        [string[]]$Toolchain = @('.cargo', '.rustup', '.nvm', 'AppData\Roaming\npm', 'AppData\Roaming\nvm', '.dotnet', 'go'),
        [string[]]$DenyRead = @('~\.ssh', '~\.gnupg', '~\.aws', '~\.azure', '~\.kube', '~\.docker', '~\.config\gh', '~\.npmrc', '~\.netrc'),
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $realUser = Resolve-CorralRealUser -User $User
    $sid = Get-CorralUserGroupSid -User $User -State (Read-CorralStateFile)
    $scope = "traverse:$User"
    $expand = {
        param([string]$p)
        if ($p.StartsWith('~\') -or $p -eq '~') {
            if (-not $realUser.Profile) { return $null }
            return [System.IO.Path]::Combine($realUser.Profile, $p.Substring([Math]::Min(2, $p.Length)))
        }
        if (-not [System.IO.Path]::IsPathRooted($p)) {
            if (-not $realUser.Profile) { return $null }
            return [System.IO.Path]::Combine($realUser.Profile, $p)
        }
        return $p
    }
    $denied = @($DenyRead | ForEach-Object { & $expand $_ } | Where-Object { $_ })
    $skipped = [System.Collections.Generic.List[string]]::new()
    $isDenied = { param([string]$p) @($denied | Where-Object { Test-CorralPathOverlap -Path $p -Other $_ }).Count -gt 0 }

    $traverseRights = [System.Security.AccessControl.FileSystemRights]'Traverse, ReadAttributes, ReadExtendedAttributes, ReadPermissions, Synchronize'
    $readRights = [System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Synchronize'
    $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $ancestors = [System.Collections.Generic.List[string]]::new()
    $addAncestors = {
        param([string]$p)
        $parent = Split-Path -Parent ([System.IO.Path]::GetFullPath($p).TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar))
        while ($parent -and (Split-Path -Parent $parent)) {
            if (-not $ancestors.Contains($parent)) { $ancestors.Add($parent) }
            $parent = Split-Path -Parent $parent
        }
    }
    $trees = [System.Collections.Generic.List[string]]::new()
    foreach ($folder in $Toolchain) {
        $full = & $expand $folder
        if (-not $full -or -not (Test-Path -LiteralPath $full -PathType Container)) { continue }
        if (& $isDenied $full) { $skipped.Add($full); continue }
        $trees.Add($full)
        & $addAncestors $full
    }
    foreach ($w in $Workspace) { & $addAncestors $w }

    $added = [System.Collections.Generic.List[object]]::new()
    foreach ($folder in $ancestors) {
        if (-not (Test-Path -LiteralPath $folder -PathType Container)) { continue }
        # Exact denyRead paths only here: an ancestor of a secret is traversed, not read.
        if (@($denied | Where-Object { Test-CorralPathInside -Path $folder -Folder $_ }).Count -gt 0 -or
            @($denied | Where-Object { $_.TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar) -eq $folder.TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar) }).Count -gt 0) { $skipped.Add($folder); continue }
        $ace = Add-CorralAce -Path $folder -Sid $sid -Rights $traverseRights -Type Allow -Inheritance None -Scope $scope -WhatIf:$WhatIfPreference -Confirm:$false
        if ($ace) { $added.Add($ace) }
    }
    foreach ($folder in $trees) {
        $ace = Add-CorralAce -Path $folder -Sid $sid -Rights $readRights -Type Allow -Inheritance $inherit -Scope $scope -WhatIf:$WhatIfPreference -Confirm:$false
        if ($ace) { $added.Add($ace) }
    }
    # Upgrade: ACEs this scope journaled for another SID go, now that the group's are in place.
    $stale = @(Read-CorralJournal -Scope $scope | Where-Object { $_['kind'] -eq 'ace' -and $_['undo']['sid'] -ne $sid })
    $removed = 0
    if ($stale.Count -gt 0 -and $PSCmdlet.ShouldProcess($User, "Remove $($stale.Count) traverse/toolchain ACEs naming another SID")) {
        [array]::Reverse($stale)
        foreach ($entry in $stale) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
        $removed = $stale.Count
    }
    [pscustomobject]@{ AcesAdded = $added.ToArray(); StaleRemoved = $removed; Skipped = $skipped.ToArray(); Changed = ($added.Count -gt 0 -or $removed -gt 0) }
}
