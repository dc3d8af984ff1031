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
    (…-loopback-tcp, …-loopback-udp). With a proxy port (an allowlist session's filtering
    proxy, which listens on that loopback TCP port), TCP to loopback on every port but that one
    (and the allowed ones) and UDP to loopback on every port (but the allowed ones): the
    identity reaches exactly the proxy's port, and the remote rule still blocks everything
    else. Open ports are expressed as blocks over the complementary ranges
    (Get-CorralPortComplement), never as allow rules. Block rules win over allow rules in Windows Firewall,
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
        [int[]]$LoopbackPorts = @(),
        [ValidateRange(0, 65535)]
        [int]$ProxyPort = 0
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
    if ($ports.Count -eq 0 -and $ProxyPort -eq 0) {
        $rules.Add(($base + @{ Name = "$Group-$IdentityName-loopback"; DisplayName = "$Group ${IdentityName}: block loopback"; Protocol = 'Any'; RemoteAddress = $loopback; RemotePort = @() }))
    } else {
        # TCP: every loopback port but the allowed ones and the proxy's. UDP: every port but the
        # allowed ones — the proxy is TCP only, so with no allowed ports UDP loopback is blocked
        # whole (no port filter). Other protocols to loopback (ICMP…) stay open, as with -LoopbackPort.
        $tcpOpen = @($ports) + @(if ($ProxyPort -gt 0) { $ProxyPort })
        $udpClosed = [string[]]@()
        if ($ports.Count -gt 0) { $udpClosed = Get-CorralPortComplement -Open $ports }
        $rules.Add(($base + @{ Name = "$Group-$IdentityName-loopback-tcp"; DisplayName = "$Group ${IdentityName}: block loopback TCP except allowed ports"; Protocol = 'TCP'; RemoteAddress = $loopback; RemotePort = (Get-CorralPortComplement -Open $tcpOpen) }))
        $rules.Add(($base + @{ Name = "$Group-$IdentityName-loopback-udp"; DisplayName = "$Group ${IdentityName}: block loopback UDP except allowed ports"; Protocol = 'UDP'; RemoteAddress = $loopback; RemotePort = $udpClosed }))
    }
    return , $rules.ToArray()
}
