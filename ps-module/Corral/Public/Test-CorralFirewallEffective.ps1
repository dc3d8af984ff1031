function Test-CorralFirewallEffective {
    <#
    .SYNOPSIS
    Verifies that the offline identities' block rules are in force; CorralFirewallIneffective if not.

    .DESCRIPTION
    Looks at the effective policy (-PolicyStore ActiveStore, which merges local settings and
    Group Policy): the firewall must be enabled on the Domain, Private and Public profiles, and
    AllowLocalFirewallRules must not be False (when Group Policy sets it False, the rules this
    module creates in the local store are ignored). Then every rule recorded for the offline
    identities (or for -User only) must be present in the ActiveStore, enabled, outbound, block;
    and where New-CorralFirewallRule recorded the rule set (users.<user>.firewall: the proxy
    port and loopback ports), every rule of that set must match its spec exactly
    (Test-CorralFirewallRuleMatch: ports, addresses, LocalUser), so a rule set written for
    another proxy port or edited by hand is a reason too.
    DefaultOutboundAction is reported but does not matter: block rules apply either way.
    Throws CorralFirewallIneffective listing every reason, unless -NoThrow.

    .PARAMETER User
    Check only this real user's offline identity rules; default every recorded user.

    .PARAMETER NoThrow
    Return the result with Effective = $false instead of throwing (for status reports).

    .EXAMPLE
    Test-CorralFirewallEffective

    .EXAMPLE
    (Test-CorralFirewallEffective -NoThrow).Reasons

    .OUTPUTS
    PSCustomObject with Effective, Reasons, Profiles and Rules.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [string]$User = '',
        [switch]$NoThrow
    )
    $installation = Get-CorralInstallation
    $reasons = [System.Collections.Generic.List[string]]::new()
    $profiles = @(Get-NetFirewallProfile -PolicyStore ActiveStore -ErrorAction Stop)
    $profileFacts = foreach ($firewallProfile in $profiles) {
        $fact = [ordered]@{
            name                    = "$($firewallProfile.Name)"
            enabled                 = "$($firewallProfile.Enabled)"
            defaultOutboundAction   = "$($firewallProfile.DefaultOutboundAction)"
            allowLocalFirewallRules = "$($firewallProfile.AllowLocalFirewallRules)"
        }
        if ($fact.enabled -ne 'True') { $reasons.Add("the firewall is not enabled on the $($fact.name) profile (Enabled = $($fact.enabled))") }
        if ($fact.allowLocalFirewallRules -eq 'False') {
            $reasons.Add("Group Policy sets AllowLocalFirewallRules = False on the $($fact.name) profile, so local rules are ignored")
        }
        $fact
    }
    foreach ($required in @('Domain', 'Private', 'Public')) {
        if (@($profileFacts | Where-Object { $_.name -eq $required }).Count -eq 0) { $reasons.Add("the $required profile is missing from the active policy") }
    }

    $state = Read-CorralStateFile
    $expected = [System.Collections.Generic.List[string]]::new()
    $specs = [System.Collections.Generic.List[hashtable]]::new()
    foreach ($realUser in $state['users'].Keys) {
        if ($User -and $realUser -ne $User) { continue }
        $offline = $state['users'][$realUser]['identities']['offline']
        if (-not $offline) { continue }
        foreach ($entry in @(Read-CorralJournal -Scope "firewall:$($offline['name'])")) { $expected.Add($entry['undo']['name']) }
        # The rule set New-CorralFirewallRule recorded (proxy port, loopback ports): each rule of
        # it must be there exactly as specified. A port filter widened or narrowed by hand, or a
        # rule set written for another proxy port, is drift (re-run setup). Older setups recorded
        # none; their rules are only checked for being in force, below.
        $firewall = $state['users'][$realUser]['firewall']
        if ($firewall) {
            $recordedPorts = [int[]]@($firewall['loopbackPorts'] | Where-Object { $null -ne $_ } | ForEach-Object { [int]$_ })
            $userSpecs = Get-CorralFirewallRuleSpec -IdentityName $offline['name'] -IdentitySid $offline['sid'] -Group $installation.FirewallGroup -LoopbackPorts $recordedPorts -ProxyPort ([int]$firewall['proxyPort'])
            foreach ($spec in $userSpecs) { $specs.Add($spec) }
        }
    }
    $active = @{}
    foreach ($rule in @(Get-NetFirewallRule -PolicyStore ActiveStore -Group $installation.FirewallGroup -ErrorAction SilentlyContinue)) {
        $active[$rule.Name] = $rule
    }
    $ruleFacts = foreach ($name in $expected) {
        $rule = $active[$name]
        $ok = [bool]($rule -and "$($rule.Enabled)" -eq 'True' -and "$($rule.Action)" -eq 'Block' -and "$($rule.Direction)" -eq 'Outbound')
        if (-not $ok) { $reasons.Add("firewall rule $name is not in force (missing from the active policy, disabled, or changed)") }
        [ordered]@{ name = $name; inForce = $ok }
    }
    foreach ($spec in $specs) {
        if (-not $active[$spec.Name]) {
            if ($expected -notcontains $spec.Name) { $reasons.Add("firewall rule $($spec.Name) is missing (the recorded rule set wants it)") }
            continue
        }
        # Compared as written (the local store, as New-CorralFirewallRule compares before it
        # re-applies); whether it is in force was the active store's question above.
        $rule = Get-NetFirewallRule -Name $spec.Name -ErrorAction SilentlyContinue
        if (-not $rule -or -not (Test-CorralFirewallRuleMatch -Rule $rule -Spec $spec)) {
            $reasons.Add("firewall rule $($spec.Name) does not match the recorded rule set (its ports, addresses, user or action changed)")
        }
    }
    $result = [pscustomobject]@{
        Effective = ($reasons.Count -eq 0)
        Reasons   = $reasons.ToArray()
        Profiles  = @($profileFacts)
        Rules     = @($ruleFacts)
    }
    if (-not $result.Effective -and -not $NoThrow) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralFirewallIneffective' -Category SecurityError -TargetObject $result `
            -Message ("Windows Firewall would not enforce the offline identity's rules: " + ($reasons -join '; ') + '. Enable the firewall on every profile and let local rules apply (Group Policy: "Apply local firewall rules" = Yes).')))
    }
    return $result
}
