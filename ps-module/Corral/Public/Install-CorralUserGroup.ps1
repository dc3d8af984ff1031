function Install-CorralUserGroup {
    <#
    .SYNOPSIS
    Creates a real user's own local group, whose members are exactly that user's two identities.

    .DESCRIPTION
    The workspace and traverse ACEs of a user name this group (never an identity SID, never
    the machine-wide sandbox group). Why a group per user:
    - the machine-wide group would let another developer's identity pass the normal access
      check on this user's workspaces;
    - the identity SID is one of the restricting SIDs of every command token (so that the
      identity's own profile, temp folder and pipes stay writable), so an ACE naming it would
      let a session opened for one workspace pass the restricted check on the user's other
      workspaces too. The group is not a restricting SID: a command writes a workspace only
      when the group passes the normal check and that workspace's capability SID passes the
      restricted one.
    The name is `<prefix>-grp-<user part>` (the user part of the identity names, see
    Get-CorralIdentityName), at most 20 characters. Creation is journaled (scope
    usergroup:<user>, kind group) so Remove-CorralIdentity (when the user's last identity goes)
    and Uninstall-Corral remove it; the name and SID are recorded in state.json as
    users.<user>.group = {name, sid}. Membership is set to exactly the user's recorded
    identities that exist: missing ones are added, anything else is removed (only an
    administrator can add members, and any extra member could write the user's workspaces).
    Membership ends with the group, so it is not journaled on its own. The result is read back
    and must match (CorralStepFailed otherwise). A group of that name that this installation
    did not create is never adopted: CorralUserExists. Idempotent: a re-run changes nothing.

    .PARAMETER User
    The real user's name as recorded (its identities must exist: New-CorralIdentity).

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Install-CorralUserGroup -User alice -Confirm:$false

    Creates crl-grp-alice with members crl-off-alice and crl-on-alice.

    .OUTPUTS
    PSCustomObject with User, Name, Sid, Members (SIDs), Changed and Changes.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $state = Read-CorralStateFile
    $null = Get-CorralRecordedIdentity -State $state -User $User
    $name = Get-CorralUserGroupName -User $User
    $scope = "usergroup:$User"
    $changes = [System.Collections.Generic.List[string]]::new()
    $recorded = $state['users'][$User]['group']
    $group = Get-LocalGroup -Name $name -ErrorAction SilentlyContinue
    if ($group) {
        $journaled = @(Read-CorralJournal -Scope $scope | Where-Object { $_['kind'] -eq 'group' -and $_['undo']['name'] -eq $name })
        $ours = ($recorded -and $recorded['sid'] -eq $group.SID.Value) -or ($journaled.Count -gt 0)
        if (-not $ours) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralUserExists' -Category ResourceExists -TargetObject $name `
                -Message "A local group named '$name' exists but was not created by Corral installation '$((Get-CorralInstallation).Name)'; remove or rename it, or use another installation name."))
        }
    } elseif ($PSCmdlet.ShouldProcess($name, "Create the local group of $User's sandbox identities")) {
        # Not $description: the change block runs inside Invoke-CorralJournaledChange, whose
        # -Description parameter would shadow it (dynamic scoping).
        $groupDescription = "Corral sandbox identities of $User"
        if ($groupDescription.Length -gt 48) { $groupDescription = $groupDescription.Substring(0, 48) }
        $null = Invoke-CorralJournaledChange -Kind 'group' -Scope $scope -Undo ([ordered]@{ name = $name }) -Description "Creating group $name" -Change {
            New-LocalGroup -Name $name -Description $groupDescription -ErrorAction Stop
        }
        $group = Get-LocalGroup -Name $name -ErrorAction Stop
        $changes.Add("created group $name")
    }
    if (-not $group) {
        return [pscustomobject]@{ User = $User; Name = $name; Sid = $null; Members = @(); Changed = $false; Changes = @("would create group $name") }
    }
    $sid = $group.SID.Value
    if (-not $recorded -or $recorded['name'] -ne $name -or $recorded['sid'] -ne $sid) {
        $state['users'][$User]['group'] = [ordered]@{ name = $name; sid = $sid }
        Write-CorralStateFile -State $state -Confirm:$false
    }

    # Exactly the user's identities: those recorded whose account exists with the recorded SID.
    $wanted = [ordered]@{}
    foreach ($kind in @('offline', 'online')) {
        $identity = $state['users'][$User]['identities'][$kind]
        if (-not $identity) { continue }
        $account = Get-LocalUser -Name $identity['name'] -ErrorAction SilentlyContinue
        if ($account -and $account.SID.Value -eq $identity['sid']) { $wanted[$account.SID.Value] = $account }
    }
    $current = @(Get-LocalGroupMember -Group $name -ErrorAction Stop)
    $currentSids = @($current | ForEach-Object { $_.SID.Value })
    foreach ($memberSid in @($wanted.Keys)) {
        if ($currentSids -notcontains $memberSid -and $PSCmdlet.ShouldProcess($name, "Add $($wanted[$memberSid].Name)")) {
            Add-LocalGroupMember -Group $name -Member $wanted[$memberSid] -ErrorAction Stop
            $changes.Add("added $($wanted[$memberSid].Name) to $name")
        }
    }
    foreach ($member in $current) {
        if (-not $wanted.Contains($member.SID.Value) -and $PSCmdlet.ShouldProcess($name, "Remove $($member.Name), which is not an identity of $User")) {
            Remove-LocalGroupMember -Group $name -Member $member -ErrorAction Stop
            $changes.Add("removed $($member.Name) ($($member.SID.Value)) from $name")
        }
    }
    $members = @($wanted.Keys)
    if ($changes.Count -gt 0 -and -not $WhatIfPreference) {
        $found = @(Get-LocalGroupMember -Group $name -ErrorAction Stop | ForEach-Object { $_.SID.Value } | Sort-Object)
        $expected = @($members | Sort-Object)
        if (($found -join ',') -ne ($expected -join ',')) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category InvalidResult -TargetObject $name `
                -Message "Group $name has members $($found -join ', ') after the change; expected exactly $($expected -join ', ')."))
        }
    }
    [pscustomobject]@{
        User    = $User
        Name    = $name
        Sid     = $sid
        Members = $members
        Changed = ($changes.Count -gt 0)
        Changes = $changes.ToArray()
    }
}
