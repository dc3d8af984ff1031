function Get-CorralFirewallRuleSpec {
    <#
    .SYNOPSIS
    The firewall rules one offline identity needs, as data (pure: no machine access).

    .DESCRIPTION
    Outbound block rules scoped to the identity by an SDDL -LocalUser string
    (D:(A;;CC;;;<SID>) — the rule applies to traffic of processes running as that SID):
      <group>-<identity>-remote     every protocol to every non-loopback address, IPv4 and IPv6
      <group>-<identity>-loopback   every protocol to 127.0.0.0/8 and ::1 (loopback policy 'deny')
    or, with a list of allowed loopback ports, TCP and UDP to loopback on every other port
    (…-loopback-tcp, …-loopback-udp). Block rules win over allow rules in Windows Firewall,
    so an allow rule elsewhere cannot reopen them. The unspecified address :: is not a
    destination and is left out; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) fall in the IPv6
    range and are blocked, loopback included.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$IdentityName,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$IdentitySid,
        [Parameter(Mandatory)]
        [string]$Group,
        [int[]]$LoopbackPorts = @()
    )
    $nonLoopback = @('0.0.0.0-126.255.255.255', '128.0.0.0-255.255.255.255', '::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')
    $loopback = @('127.0.0.0-127.255.255.255', '::1')
    $base = @{
        Group         = $Group
        Direction     = 'Outbound'
        Action        = 'Block'
        Enabled       = 'True'
        Profile       = 'Any'
        LocalUser     = "D:(A;;CC;;;$IdentitySid)"
    }
    $rules = [System.Collections.Generic.List[hashtable]]::new()
    $rules.Add(($base + @{ Name = "$Group-$IdentityName-remote"; DisplayName = "$Group ${IdentityName}: block network"; Protocol = 'Any'; RemoteAddress = $nonLoopback; RemotePort = @() }))
    $ports = @($LoopbackPorts | Where-Object { $_ -ge 1 -and $_ -le 65535 } | Sort-Object -Unique)
    if ($ports.Count -eq 0) {
        $rules.Add(($base + @{ Name = "$Group-$IdentityName-loopback"; DisplayName = "$Group ${IdentityName}: block loopback"; Protocol = 'Any'; RemoteAddress = $loopback; RemotePort = @() }))
    } else {
        $closed = [System.Collections.Generic.List[string]]::new()
        $next = 1
        foreach ($port in $ports) {
            if ($port -gt $next) { $closed.Add($(if ($port - 1 -eq $next) { "$next" } else { "$next-$($port - 1)" })) }
            $next = $port + 1
        }
        if ($next -le 65535) { $closed.Add($(if ($next -eq 65535) { '65535' } else { "$next-65535" })) }
        foreach ($protocol in @('TCP', 'UDP')) {
            $rules.Add(($base + @{ Name = "$Group-$IdentityName-loopback-$($protocol.ToLowerInvariant())"; DisplayName = "$Group ${IdentityName}: block loopback $protocol except allowed ports"; Protocol = $protocol; RemoteAddress = $loopback; RemotePort = $closed.ToArray() }))
        }
    }
    return , $rules.ToArray()
}
