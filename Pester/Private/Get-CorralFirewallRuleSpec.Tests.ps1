BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
}
Describe 'Get-CorralFirewallRuleSpec' {
    It 'blocks all non-loopback IPv4 and IPv6, and loopback entirely by default' {
        $rules = InModuleScope Corral { Get-CorralFirewallRuleSpec -IdentityName 'crl-off-a' -IdentitySid 'S-1-5-21-1-2-3-4' -Group 'Corral' }
        $rules.Count | Should -Be 2
        $rules[0].RemoteAddress | Should -Not -Contain '127.0.0.1'
        $rules[1].RemoteAddress | Should -Be @('127.0.0.0-127.255.255.255', '::1')
        $rules | ForEach-Object { $_.LocalUser | Should -BeExactly 'D:(A;;CC;;;S-1-5-21-1-2-3-4)' }
    }
    It 'computes the complement of the allowed loopback ports, edges included' {
        $rules = InModuleScope Corral { Get-CorralFirewallRuleSpec -IdentityName 'crl-off-a' -IdentitySid 'S-1-5-21-1-2-3-4' -Group 'Corral' -LoopbackPorts 1, 2, 65535, 80 }
        ($rules | Where-Object Protocol -eq 'TCP').RemotePort | Should -Be @('3-79', '81-65534')
    }
    It 'with a proxy port: TCP to loopback blocked on every other port, UDP to loopback blocked whole, the network still blocked' {
        $rules = InModuleScope Corral { Get-CorralFirewallRuleSpec -IdentityName 'crl-off-a' -IdentitySid 'S-1-5-21-1-2-3-4' -Group 'Corral' -ProxyPort 3128 }
        $rules.Count | Should -Be 3
        $rules[0].Name | Should -Be 'Corral-crl-off-a-remote'
        $tcp = $rules | Where-Object Protocol -EQ 'TCP'
        $tcp.Name | Should -Be 'Corral-crl-off-a-loopback-tcp'
        $tcp.RemotePort | Should -Be @('1-3127', '3129-65535')
        $tcp.RemoteAddress | Should -Be @('127.0.0.0-127.255.255.255', '::1')
        $udp = $rules | Where-Object Protocol -EQ 'UDP'
        $udp.RemotePort.Count | Should -Be 0
        $rules | ForEach-Object { $_.Action | Should -Be 'Block' }
        @($rules | Where-Object Name -EQ 'Corral-crl-off-a-loopback') | Should -BeNullOrEmpty
    }
    It 'with a proxy port and allowed loopback ports: TCP opens both, UDP only the allowed ones' {
        $rules = InModuleScope Corral { Get-CorralFirewallRuleSpec -IdentityName 'crl-off-a' -IdentitySid 'S-1-5-21-1-2-3-4' -Group 'Corral' -ProxyPort 3128 -LoopbackPorts 5432 }
        ($rules | Where-Object Protocol -EQ 'TCP').RemotePort | Should -Be @('1-3127', '3129-5431', '5433-65535')
        ($rules | Where-Object Protocol -EQ 'UDP').RemotePort | Should -Be @('1-5431', '5433-65535')
    }
}
