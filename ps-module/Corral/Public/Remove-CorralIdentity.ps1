function Remove-CorralIdentity {
    <#
    .SYNOPSIS
    Removes one sandbox identity of a real user and everything journaled for it.

    .DESCRIPTION
    Undoes, newest first, the journaled changes of the identity's scope (its profile, its
    sign-in-screen entry, the account itself), drops its entry from the credential file (the
    file goes when no entry is left) and from state.json. With the user's last identity, the
    user's own group (Install-CorralUserGroup) goes too, if this installation created it. Accounts this installation did not
    create are never touched. Firewall rules and workspace grants have their own Remove/Revoke
    functions; Uninstall-Corral removes everything.

    .PARAMETER User
    The real user's name as recorded.

    .PARAMETER Network
    Which identity: offline or online.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Remove-CorralIdentity -User alice -Network online -Force

    .OUTPUTS
    PSCustomObject with Name, Changed and Removed (the journal kinds undone).
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
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
    $record = if ($state['users'].Contains($User)) { $state['users'][$User]['identities'][$Network] } else { $null }
    $name = if ($record) { $record['name'] } else { Get-CorralIdentityName -User $User -Network $Network }
    $entries = @(Read-CorralJournal -Scope "identity:$name")
    $removed = [System.Collections.Generic.List[string]]::new()
    if ($entries.Count -eq 0 -and -not $record) {
        return [pscustomobject]@{ Name = $name; Changed = $false; Removed = @() }
    }
    if (-not $PSCmdlet.ShouldProcess($name, "Remove sandbox identity ($Network) of $User")) {
        return [pscustomobject]@{ Name = $name; Changed = $false; Removed = @() }
    }
    [array]::Reverse($entries)
    foreach ($entry in $entries) {
        Undo-CorralJournalEntry -Entry $entry -Confirm:$false
        $removed.Add($entry['kind'])
    }
    if ($record) {
        $credentialFile = [System.IO.Path]::Combine($installation.CredentialDir, "$($state['users'][$User]['sid']).json")
        if (Test-Path -LiteralPath $credentialFile) {
            $store = ConvertFrom-CorralJson -Json ([System.IO.File]::ReadAllText($credentialFile))
            $store.Remove($Network)
            if ($store.Count -eq 0) {
                foreach ($entry in @(Read-CorralJournal -Scope "user:$User" | Where-Object { $_['kind'] -eq 'credential' })) {
                    Undo-CorralJournalEntry -Entry $entry -Confirm:$false
                }
                if (Test-Path -LiteralPath $credentialFile) { Remove-Item -LiteralPath $credentialFile -Force }
            } else {
                [System.IO.File]::WriteAllText($credentialFile, (ConvertTo-Json -InputObject $store -Depth 5), [System.Text.UTF8Encoding]::new($false))
            }
            $removed.Add('credential')
        }
        $state['users'][$User]['identities'].Remove($Network)
        if ($state['users'][$User]['identities'].Count -eq 0) {
            # The user's own group goes with the last identity (its journaled creation, nothing else).
            foreach ($entry in @(Read-CorralJournal -Scope "usergroup:$User")) {
                Undo-CorralJournalEntry -Entry $entry -Confirm:$false
                $removed.Add($entry['kind'])
            }
            $state['users'].Remove($User)
        }
        Write-CorralStateFile -State $state -Confirm:$false
    }
    [pscustomobject]@{ Name = $name; Changed = $true; Removed = $removed.ToArray() }
}
