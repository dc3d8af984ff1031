Describe 'Test-CorralFirewallRuleMatch' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            Skip-CorralUnlessSim
            $script:spec = InModuleScope Corral { (Get-CorralFirewallRuleSpec -IdentityName 'ctes-off-alice' -IdentitySid 'S-1-5-21-1-2-3-2001' -Group 'ctestunit')[0] }
            $p = @{} + $script:spec; $p.Remove('RemotePort')
            $script:rule = New-NetFirewallRule @p
        }
        It 'is true for a rule created exactly from the spec (a re-run changes nothing)' {
            InModuleScope Corral -Parameters @{ R = $script:rule; S = $script:spec } { param($R, $S) Test-CorralFirewallRuleMatch -Rule $R -Spec $S } | Should -BeTrue
        }
        It 'is true when the addresses come back in another order or spelling' {
            Set-NetFirewallRule -Name $script:spec.Name -RemoteAddress @('::2-FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', '128.0.0.0-255.255.255.255', '0.0.0.0-126.255.255.255')
            InModuleScope Corral -Parameters @{ R = $script:rule; S = $script:spec } { param($R, $S) Test-CorralFirewallRuleMatch -Rule $R -Spec $S } | Should -BeTrue
        }
        It 'is false when <_> differs' -ForEach @('RemoteAddress', 'LocalUser', 'Action', 'Direction', 'Protocol') {
            $change = @{ RemoteAddress = @('0.0.0.0-126.255.255.255'); LocalUser = 'D:(A;;CC;;;S-1-5-21-1-2-3-9999)'; Action = 'Allow'; Direction = 'Inbound'; Protocol = 'TCP' }
            $p = @{ Name = $script:spec.Name }; $p[$_] = $change[$_]
            Set-NetFirewallRule @p
            $rule = Get-NetFirewallRule -Name $script:spec.Name
            InModuleScope Corral -Parameters @{ R = $rule; S = $script:spec } { param($R, $S) Test-CorralFirewallRuleMatch -Rule $R -Spec $S } | Should -BeFalse
        }
        It 'is false for a rule with a port filter when the spec has none (a UDP rule that must block every port again)' {
            $udp = InModuleScope Corral { (Get-CorralFirewallRuleSpec -IdentityName 'ctes-off-alice' -IdentitySid 'S-1-5-21-1-2-3-2001' -Group 'ctestunit' -ProxyPort 3128) | Where-Object Protocol -EQ 'UDP' }
            $udp.RemotePort.Count | Should -Be 0
            $p = @{} + $udp; $p['RemotePort'] = @('1-5431', '5433-65535')
            $narrowed = New-NetFirewallRule @p
            InModuleScope Corral -Parameters @{ R = $narrowed; S = $udp } { param($R, $S) Test-CorralFirewallRuleMatch -Rule $R -Spec $S } | Should -BeFalse
            Set-NetFirewallRule -Name $udp.Name -RemotePort 'Any'
            InModuleScope Corral -Parameters @{ R = $narrowed; S = $udp } { param($R, $S) Test-CorralFirewallRuleMatch -Rule $R -Spec $S } | Should -BeTrue
        }
    }
}
