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
    }
}
