function New-CorralIdentity {
    <#
    .SYNOPSIS
    Creates one sandbox identity (local user) of a real user, fully configured, and stores its password.

    .DESCRIPTION
    Creates the local account with New-CorralLocalUser (NetUserAdd, on 5.1 and 7) and a random 40-character password from the
    OS RNG (PasswordNeverExpires, user may not change it, account never expires), stores the
    password DPAPI-protected (Save-CorralCredential), records it in state.json, then applies
    the rest with Set-CorralIdentity: member of CorralSandboxUsers, hidden from the sign-in
    screen, profile created once; then Install-CorralUserGroup: member of the user's own group
    (<prefix>-grp-<user>), which the workspace and traverse ACEs name.
    Idempotent: an account already recorded for this real user (same name and SID, or created
    by an earlier run that the journal shows) is not created again — only re-configured. An
    account with that name that this installation did not create is never adopted:
    CorralUserExists.

    .PARAMETER User
    The real user's name (alice, DOMAIN\alice); must resolve to an account.

    .PARAMETER Network
    Which identity: offline (no network) or online.

    .PARAMETER Name
    The identity's account name; default from Get-CorralIdentityName (the orchestrator passes
    the name it derived with the same rule).

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    New-CorralIdentity -User alice -Network offline -Confirm:$false

    Creates crl-off-alice.

    .OUTPUTS
    PSCustomObject with User, Network, Name, Sid, Changed and Changes.
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
        [ValidatePattern('^[a-z0-9][a-z0-9-]{0,19}$')]
        [string]$Name = '',
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    if (-not $Name) { $Name = Get-CorralIdentityName -User $User -Network $Network }
    $realUser = Resolve-CorralRealUser -User $User
    $group = Install-CorralGroup -Confirm:$false -WhatIf:$WhatIfPreference
    $state = Read-CorralStateFile
    $changes = [System.Collections.Generic.List[string]]::new()
    if ($group.Changed) { $changes.Add("created group $($group.Name)") }

    $recordedSid = $null
    if ($state['users'].Contains($User) -and $state['users'][$User]['identities'] -and $state['users'][$User]['identities'][$Network]) {
        $recordedSid = $state['users'][$User]['identities'][$Network]['sid']
    }
    $journaled = @(Read-CorralJournal -Scope "identity:$Name" | Where-Object { $_['kind'] -eq 'user' })
    $account = Get-LocalUser -Name $Name -ErrorAction SilentlyContinue
    if ($account) {
        $ours = ($recordedSid -and $account.SID.Value -eq $recordedSid) -or
            ($journaled | Where-Object { -not $_['undo']['sid'] -or $_['undo']['sid'] -eq $account.SID.Value })
        if (-not $ours) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralUserExists' -Category ResourceExists -TargetObject $Name `
                -Message "A local account named '$Name' exists but was not created by Corral installation '$((Get-CorralInstallation).Name)'; remove or rename it, or use another installation name."))
        }
    } elseif ($PSCmdlet.ShouldProcess($Name, "Create sandbox identity ($Network) for $User")) {
        $password = New-CorralPassword
        # Not $description: the change block runs inside Invoke-CorralJournaledChange, whose
        # -Description parameter would shadow it (dynamic scoping).
        $accountDescription = "Corral sandbox ($Network) of $User"
        if ($accountDescription.Length -gt 48) { $accountDescription = $accountDescription.Substring(0, 48) }
        $null = Invoke-CorralJournaledChange -Kind 'user' -Scope "identity:$Name" -Undo ([ordered]@{ name = $Name; sid = $null }) -Description "Creating user $Name" -Change {
            New-CorralLocalUser -Name $Name -Password $password -Description $accountDescription -Confirm:$false
        }
        $account = Get-LocalUser -Name $Name -ErrorAction Stop
        $null = Save-CorralCredential -User $User -Network $Network -Identity $Name -Password $password -Confirm:$false
        $changes.Add("created user $Name")
    }
    if (-not $account) {
        return [pscustomobject]@{ User = $User; Network = $Network; Name = $Name; Sid = $null; Changed = $false; Changes = @("would create user $Name") }
    }

    if ($recordedSid -ne $account.SID.Value) {
        if (-not $state['users'].Contains($User)) {
            $state['users'][$User] = [ordered]@{ sid = $realUser.Sid; identities = [ordered]@{}; network = 'offline'; workspaces = @() }
        }
        if (-not $state['users'][$User]['identities']) { $state['users'][$User]['identities'] = [ordered]@{} }
        $state['users'][$User]['sid'] = $realUser.Sid
        $state['users'][$User]['identities'][$Network] = [ordered]@{ name = $Name; sid = $account.SID.Value }
        Write-CorralStateFile -State $state -Confirm:$false
    }
    $configured = Set-CorralIdentity -User $User -Network $Network -Confirm:$false
    foreach ($change in $configured.Changes) { $changes.Add($change) }
    $userGroup = Install-CorralUserGroup -User $User -Confirm:$false
    foreach ($change in $userGroup.Changes) { $changes.Add($change) }
    [pscustomobject]@{
        User    = $User
        Network = $Network
        Name    = $Name
        Sid     = $account.SID.Value
        Changed = ($changes.Count -gt 0)
        Changes = $changes.ToArray()
    }
}
