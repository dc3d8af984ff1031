function Get-CorralState {
    <#
    .SYNOPSIS
    Everything this installation provisioned: as recorded (state.json, journal) and as found on the machine.

    .DESCRIPTION
    Reads %ProgramData%\Corral\state.json and the journal, then looks at the machine: the
    sandbox group, each identity (exists, SID matches the record, enabled, hidden from the
    sign-in screen, member of the group, profile, credential file), each user's own group
    (exists with the recorded SID, members exactly the user's identities), the firewall rules of the
    group, each journaled ACE (present or missing), the installed runner. Changes nothing and
    needs no elevation (the state is readable by Users). Drift is reported, never repaired
    here: run Install-Corral again for that.

    .EXAMPLE
    Get-CorralState | ConvertTo-Json -Depth 10

    .OUTPUTS
    PSCustomObject with Installation, Provisioned, Recorded, Found and Drift.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param()
    $installation = Get-CorralInstallation
    $recorded = Read-CorralStateFile
    $journal = @(Read-CorralJournal)
    $drift = [System.Collections.Generic.List[string]]::new()

    $group = Get-LocalGroup -Name $installation.SandboxGroup -ErrorAction SilentlyContinue
    $members = @()
    if ($group) { $members = @(Get-LocalGroupMember -Group $installation.SandboxGroup -ErrorAction SilentlyContinue | ForEach-Object { $_.SID.Value }) }
    $hiddenKey = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'

    $users = [ordered]@{}
    foreach ($realUser in $recorded['users'].Keys) {
        $record = $recorded['users'][$realUser]
        $credentialFile = [System.IO.Path]::Combine($installation.CredentialDir, "$($record['sid']).json")
        $identities = [ordered]@{}
        foreach ($network in @('offline', 'online')) {
            $expected = $record['identities'][$network]
            if (-not $expected) { continue }
            $account = Get-LocalUser -Name $expected['name'] -ErrorAction SilentlyContinue
            $found = [ordered]@{
                name       = $expected['name']
                exists     = [bool]$account
                sidMatches = [bool]($account -and $account.SID.Value -eq $expected['sid'])
                enabled    = [bool]($account -and $account.Enabled)
                hidden     = (Get-CorralRegistryValue -Key $hiddenKey -Name $expected['name']) -eq 0
                inGroup    = $members -contains $expected['sid']
                profile    = Test-CorralRegistryKey -Key "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$($expected['sid'])"
                credential = Test-Path -LiteralPath $credentialFile -PathType Leaf
            }
            foreach ($check in @('exists', 'sidMatches', 'enabled', 'hidden', 'inGroup', 'profile', 'credential')) {
                if (-not $found[$check]) { $drift.Add("identity $($expected['name']): $check is false") }
            }
            $identities[$network] = $found
        }
        $userGroup = Get-CorralUserGroupFacts -User $realUser -Record $record
        foreach ($problem in $userGroup['problems']) { $drift.Add("group $($userGroup['name']) of ${realUser}: $problem") }
        $userGroup.Remove('problems')
        # The identities' per-workspace profile folders (<profile>\corral-ws\ws-<id>) that exist:
        # a removal stopped half-way left some of a workspace no longer recorded.
        $workspaceProfiles = [ordered]@{}
        foreach ($network in @('offline', 'online')) {
            $expected = $record['identities'][$network]
            if (-not $expected -or -not $expected['sid']) { continue }
            $identityProfile = Get-CorralProfilePath -Sid $expected['sid']
            $container = if ($identityProfile) { Join-Path $identityProfile 'corral-ws' } else { $null }
            $workspaceProfiles[$network] = @(if ($container -and (Test-Path -LiteralPath $container -PathType Container)) {
                    Get-ChildItem -LiteralPath $container -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -match '^ws-[0-9a-f]{16}$' } | ForEach-Object { $_.Name }
                })
        }
        $users[$realUser] = [ordered]@{ identities = $identities; group = $userGroup; workspaceProfiles = $workspaceProfiles }
    }

    $rules = @(Get-NetFirewallRule -Group $installation.FirewallGroup -ErrorAction SilentlyContinue |
        ForEach-Object { [ordered]@{ name = $_.Name; enabled = "$($_.Enabled)"; action = "$($_.Action)"; direction = "$($_.Direction)" } })
    $ruleNames = @($rules | ForEach-Object { $_['name'] })
    $aces = [System.Collections.Generic.List[object]]::new()
    foreach ($entry in $journal) {
        switch ($entry['kind']) {
            'firewallRule' {
                if ($ruleNames -notcontains $entry['undo']['name']) { $drift.Add("firewall rule $($entry['undo']['name']) is missing") }
            }
            'ace' {
                $undo = $entry['undo']
                $present = $false
                if (Test-Path -LiteralPath $undo['path']) {
                    $acl = Get-CorralFileAcl -Path $undo['path']
                    $mask = Get-CorralAceCoverage -Acl $acl -Sid $undo['sid'] -Type $undo['type'] `
                        -Inheritance ([int]$undo['inheritance']) -Propagation ([int]$undo['propagation'])
                    $present = (($mask -band [int]$undo['rights']) -eq [int]$undo['rights'])
                }
                if (-not $present) { $drift.Add("ACE for $($undo['sid']) on $($undo['path']) is missing") }
                $aces.Add([ordered]@{ path = $undo['path']; sid = $undo['sid']; type = $undo['type']; scope = $entry['scope']; present = $present })
            }
        }
    }
    $runner = $recorded['runner']
    $runnerFound = [ordered]@{ installed = [bool]($runner -and (Test-Path -LiteralPath $runner['node'] -PathType Leaf) -and (Test-Path -LiteralPath $runner['entry'] -PathType Leaf)) }
    if ($runner -and -not $runnerFound['installed']) { $drift.Add("runner in $($runner['dir']) is missing") }
    if ($recorded['users'].Count -gt 0 -and -not $group) { $drift.Add("group $($installation.SandboxGroup) is missing") }

    [pscustomobject]@{
        Installation = $installation.Name
        Provisioned  = ($recorded['users'].Count -gt 0)
        Recorded     = $recorded
        Found        = [ordered]@{
            group         = [ordered]@{ name = $installation.SandboxGroup; exists = [bool]$group; sid = if ($group) { $group.SID.Value } else { $null } }
            users         = $users
            firewallRules = $rules
            aces          = $aces.ToArray()
            runner        = $runnerFound
            journalOpen   = @($journal | Where-Object { -not $_['done'] }).Count
        }
        Drift        = $drift.ToArray()
    }
}
