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
}
