function Test-CorralFirewallRuleMatch {
    <#
    .SYNOPSIS
    True when an existing firewall rule has exactly the settings of a rule spec.

    .DESCRIPTION
    Reads the rule back with its address, port and security filters and compares them with
    the spec, normalising addresses (IPAddress.Parse on each end of a range), so a re-run
    sees no change when nothing differs.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [object]$Rule,
        [Parameter(Mandatory)]
        [hashtable]$Spec
    )
    $normalise = {
        param([string[]]$addresses)
        @($addresses | Where-Object { $_ } | ForEach-Object {
                (($_ -split '-') | ForEach-Object { [System.Net.IPAddress]::Parse($_.Trim()).ToString() }) -join '-'
            } | Sort-Object)
    }
    if ("$($Rule.Direction)" -ne $Spec.Direction -or "$($Rule.Action)" -ne $Spec.Action -or "$($Rule.Enabled)" -ne $Spec.Enabled) { return $false }
    if ("$($Rule.Group)" -ne $Spec.Group) { return $false }
    $security = $Rule | Get-NetFirewallSecurityFilter
    if ("$($security.LocalUser)" -ne $Spec.LocalUser) { return $false }
    $address = $Rule | Get-NetFirewallAddressFilter
    # Parenthesised: -join and -ne share one precedence level and bind left to right.
    if (((& $normalise $address.RemoteAddress) -join ',') -ne ((& $normalise $Spec.RemoteAddress) -join ',')) { return $false }
    $port = $Rule | Get-NetFirewallPortFilter
    if ("$($port.Protocol)" -ne $Spec.Protocol) { return $false }
    # No port filter reads back as 'Any'. A spec without ports must find none either: a UDP rule
    # narrowed earlier (ports open) that should now block every port is a difference.
    $actualPorts = @($port.RemotePort | Where-Object { $_ -and "$_" -ne 'Any' })
    if (($actualPorts -join ',') -ne (@($Spec.RemotePort) -join ',')) { return $false }
    return $true
}
