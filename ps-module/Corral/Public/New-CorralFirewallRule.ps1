function New-CorralFirewallRule {
    <#
    .SYNOPSIS
    Creates (or re-applies) the outbound block rules of an offline identity in firewall group Corral.

    .DESCRIPTION
    Rules scoped to the identity's SID by an SDDL -LocalUser string: block every protocol to
    every non-loopback address (IPv4 and IPv6), and loopback per policy — blocked entirely
    (no -LoopbackPort) or on every TCP/UDP port but the listed ones (see
    Get-CorralFirewallRuleSpec). Each rule is created fully configured; an existing rule is
    read back and re-applied only if it differs; rules of this identity that the policy no
    longer wants are removed. Creation is journaled. Afterwards the rules are verified with
    Test-CorralFirewallEffective: a firewall that is off, or local rules overridden by Group
    Policy, is CorralFirewallIneffective.

    .PARAMETER User
    The real user whose offline identity the rules confine (as recorded by New-CorralIdentity).

    .PARAMETER LoopbackPort
    Loopback ports the offline identity may reach; none (the default) blocks loopback entirely.

    .PARAMETER ProxyPort
    The loopback TCP port of the allowlist network's filtering proxy, or 0 (the default) for
    none. The identity may then reach that one TCP port on loopback (and the -LoopbackPort
    ones), nothing else: TCP to loopback is blocked on every other port, UDP to loopback on
    every port not in -LoopbackPort, and the network beyond loopback stays blocked. Expressed
    as block rules over the complementary port ranges, because a Windows Firewall block rule
    beats any allow rule. Changing it is fail-closed: the new rules are in place before the
    ones they replace are removed, and a narrowed rule is changed in one call.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    New-CorralFirewallRule -User alice -Confirm:$false

    .EXAMPLE
    New-CorralFirewallRule -User alice -LoopbackPort 5432, 6379 -Confirm:$false

    .EXAMPLE
    New-CorralFirewallRule -User alice -ProxyPort 3128 -Force

    .OUTPUTS
    PSCustomObject with Identity, Rules, ProxyPort, Changed and Changes. The proxy port and the
    loopback ports are recorded in state.json (users.<User>.firewall), which
    Test-CorralFirewallEffective compares the rules with.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [ValidateRange(1, 65535)]
        [int[]]$LoopbackPort = @(),
        [ValidateRange(0, 65535)]
        [int]$ProxyPort = 0,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    $state = Read-CorralStateFile
    $record = Get-CorralRecordedIdentity -State $state -User $User -Network offline -Remedy 'run New-CorralIdentity first.'
    $name = $record['name']
    $scope = "firewall:$name"
    $specs = Get-CorralFirewallRuleSpec -IdentityName $name -IdentitySid $record['sid'] -Group $installation.FirewallGroup -LoopbackPorts $LoopbackPort -ProxyPort $ProxyPort
    $changes = [System.Collections.Generic.List[string]]::new()
    foreach ($spec in $specs) {
        $parameters = @{
            DisplayName   = $spec.DisplayName
            Group         = $spec.Group
            Direction     = $spec.Direction
            Action        = $spec.Action
            Enabled       = $spec.Enabled
            Profile       = $spec.Profile
            LocalUser     = $spec.LocalUser
            Protocol      = $spec.Protocol
            RemoteAddress = $spec.RemoteAddress
        }
        if ($spec.RemotePort.Count -gt 0) { $parameters['RemotePort'] = $spec.RemotePort }
        $existing = Get-NetFirewallRule -Name $spec.Name -ErrorAction SilentlyContinue
        if (-not $existing) {
            if (-not $PSCmdlet.ShouldProcess($spec.Name, 'Create firewall rule')) { continue }
            $null = Invoke-CorralJournaledChange -Kind 'firewallRule' -Scope $scope -Undo ([ordered]@{ name = $spec.Name }) -Description "Creating firewall rule $($spec.Name)" -Change {
                New-NetFirewallRule -Name $spec.Name @parameters -ErrorAction Stop
            }
            $changes.Add("created firewall rule $($spec.Name)")
        } elseif (-not (Test-CorralFirewallRuleMatch -Rule $existing -Spec $spec)) {
            if (-not $PSCmdlet.ShouldProcess($spec.Name, 'Re-apply firewall rule')) { continue }
            # Group is read-only on an existing rule; a rule of ours always has it already.
            $parameters.Remove('Group')
            $parameters.Remove('DisplayName')
            # A port filter is only cleared by naming it: 'Any' (a rule that now blocks every port).
            if ($spec.RemotePort.Count -eq 0 -and $spec.Protocol -in @('TCP', 'UDP')) { $parameters['RemotePort'] = 'Any' }
            Set-NetFirewallRule -Name $spec.Name @parameters -ErrorAction Stop
            $changes.Add("re-applied firewall rule $($spec.Name)")
        }
    }
    $wanted = @($specs | ForEach-Object { $_.Name })
    foreach ($entry in @(Read-CorralJournal -Scope $scope)) {
        if ($wanted -notcontains $entry['undo']['name'] -and $PSCmdlet.ShouldProcess($entry['undo']['name'], 'Remove firewall rule the policy no longer wants')) {
            Undo-CorralJournalEntry -Entry $entry -Confirm:$false
            $changes.Add("removed firewall rule $($entry['undo']['name'])")
        }
    }
    if (-not $WhatIfPreference) {
        # What the rules admit, recorded for the user: Test-CorralFirewallEffective compares the
        # rules with it (drift when they differ), and the launcher and the runner read the proxy's
        # port from it (none recorded: allowlist sessions are refused, as after an older setup).
        $record = [ordered]@{ proxyPort = $ProxyPort; loopbackPorts = @($LoopbackPort | Sort-Object -Unique) }
        $state = Read-CorralStateFile
        $before = $state['users'][$User]['firewall']
        $same = $before -and ([int]$before['proxyPort'] -eq $ProxyPort) -and ((@($before['loopbackPorts']) -join ',') -eq ($record['loopbackPorts'] -join ','))
        if (-not $same) {
            $state['users'][$User]['firewall'] = $record
            Write-CorralStateFile -State $state -Confirm:$false
            $changes.Add("recorded the firewall's proxy port $ProxyPort and loopback ports [$($record['loopbackPorts'] -join ', ')] for $User")
        }
        $null = Test-CorralFirewallEffective -User $User
    }
    [pscustomobject]@{ Identity = $name; Rules = $wanted; ProxyPort = $ProxyPort; Changed = ($changes.Count -gt 0); Changes = $changes.ToArray() }
}
