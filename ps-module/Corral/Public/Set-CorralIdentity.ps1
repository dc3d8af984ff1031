function Set-CorralIdentity {
    <#
    .SYNOPSIS
    Re-applies every setting of a recorded sandbox identity, changing only what differs.

    .DESCRIPTION
    For the identity recorded in state.json: password never expires and may not be changed by
    the user, account enabled, member of CorralSandboxUsers, hidden from the sign-in screen
    (a DWORD 0 under HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList),
    and its profile created once (CreateProfile, see New-CorralUserProfile). Registry value and
    profile are journaled so teardown removes them. Returns which settings it changed: none on
    a re-run.

    .PARAMETER User
    The real user's name as recorded.

    .PARAMETER Network
    Which identity: offline or online.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Set-CorralIdentity -User alice -Network online -Confirm:$false

    .OUTPUTS
    PSCustomObject with Name, Changed and Changes.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateSet('offline', 'online')]
        [string]$Network,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    $state = Read-CorralStateFile
    $record = Get-CorralRecordedIdentity -State $state -User $User -Network $Network
    $name = $record['name']
    $scope = "identity:$name"
    $account = Get-LocalUser -Name $name -ErrorAction SilentlyContinue
    if (-not $account -or $account.SID.Value -ne $record['sid']) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound -TargetObject $name `
            -Message "The recorded identity '$name' ($($record['sid'])) is missing; run Install-Corral again to recreate it."))
    }
    $changes = [System.Collections.Generic.List[string]]::new()

    if ((-not $account.Enabled -or $account.UserMayChangePassword -or $null -ne $account.PasswordExpires) -and
        $PSCmdlet.ShouldProcess($name, 'Set password never expires, user may not change it, enabled')) {
        Set-LocalUser -SID $account.SID -PasswordNeverExpires $true -UserMayChangePassword $false -ErrorAction Stop
        if (-not $account.Enabled) { Enable-LocalUser -SID $account.SID -ErrorAction Stop }
        $changes.Add("account settings of $name")
    }

    $members = @(Get-LocalGroupMember -Group $installation.SandboxGroup -ErrorAction Stop | ForEach-Object { $_.SID.Value })
    if ($members -notcontains $account.SID.Value -and $PSCmdlet.ShouldProcess($name, "Add to $($installation.SandboxGroup)")) {
        # Membership ends with the account; nothing to journal.
        Add-LocalGroupMember -Group $installation.SandboxGroup -Member $account -ErrorAction Stop
        $changes.Add("added $name to $($installation.SandboxGroup)")
    }

    $userList = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
    $current = Get-CorralRegistryValue -Key $userList -Name $name
    if (($null -eq $current -or $current -ne 0) -and $PSCmdlet.ShouldProcess($name, 'Hide from the sign-in screen')) {
        # UserList does not exist on a fresh Windows: the first hidden account creates it, and its
        # undo then removes the key too once no value is left in it (-Uninstall leaves nothing).
        $undo = [ordered]@{ name = $name }
        if (-not (Test-CorralRegistryKey -Key $userList)) { $undo['createdKey'] = $true }
        $null = Invoke-CorralJournaledChange -Kind 'hidden' -Scope $scope -Undo $undo -Description "Hiding $name" -Change {
            Set-CorralRegistryValue -Key $userList -Name $name -Value 0 -Kind DWord -Confirm:$false
        }
        $changes.Add("hid $name from the sign-in screen")
    }

    $profileKey = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$($account.SID.Value)"
    if (-not (Test-CorralRegistryKey -Key $profileKey) -and $PSCmdlet.ShouldProcess($name, 'Create profile')) {
        $sid = $account.SID.Value
        $null = Invoke-CorralJournaledChange -Kind 'profile' -Scope $scope -Undo ([ordered]@{ sid = $sid }) -Description "Creating the profile of $name" -Change {
            $null = New-CorralUserProfile -Sid $sid -Name $name -Confirm:$false
        }
        $changes.Add("created the profile of $name")
    }
    [pscustomobject]@{ Name = $name; Changed = ($changes.Count -gt 0); Changes = $changes.ToArray() }
}
