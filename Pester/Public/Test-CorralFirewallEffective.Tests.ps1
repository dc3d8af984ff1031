Describe 'Test-CorralFirewallEffective (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Assert-CorralElevation { return }
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }
    Describe 'Test-CorralFirewallEffective' {
        BeforeEach {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'f1'; kind = 'firewallRule'; scope = 'firewall:ctes-off-alice'; undo = @{ name = 'ctestunit-ctes-off-alice-remote' } }
            )
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = 'ctestunit-ctes-off-alice-remote'; Enabled = 'True'; Action = 'Block'; Direction = 'Outbound' } }
        }
        It 'passes when every profile is on, local rules apply and the rules are in force' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'NotConfigured'; AllowLocalFirewallRules = 'NotConfigured' } } }
            (Test-CorralFirewallEffective).Effective | Should -BeTrue
            Should -Invoke Get-NetFirewallProfile -ModuleName Corral -ParameterFilter { $PolicyStore -eq 'ActiveStore' }
        }
        It 'is CorralFirewallIneffective when Group Policy ignores local rules' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'False' } } }
            { Test-CorralFirewallEffective } | Should -Throw -ErrorId 'CorralFirewallIneffective*'
        }
        It 'is CorralFirewallIneffective when a profile is off' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = $(if ($n -eq 'Public') { 'False' } else { 'True' }); DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'True' } } }
            $result = Test-CorralFirewallEffective -NoThrow
            $result.Effective | Should -BeFalse
            $result.Reasons -join ' ' | Should -Match 'Public'
        }
        It 'compares the rules with the recorded rule set: a rule whose ports differ is a reason, an exact match is not' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'True' } } }
            $state = New-CorralTestStateRecord
            $state['users']['alice']['firewall'] = @{ proxyPort = 41817; loopbackPorts = @() }
            Write-CorralTestState -State $state
            Mock -ModuleName Corral Get-NetFirewallRule {
                foreach ($n in 'remote', 'loopback-tcp', 'loopback-udp') { [pscustomobject]@{ Name = "ctestunit-ctes-off-alice-$n"; Enabled = 'True'; Action = 'Block'; Direction = 'Outbound' } }
            }
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $true }
            (Test-CorralFirewallEffective -NoThrow).Effective | Should -BeTrue
            Should -Invoke Test-CorralFirewallRuleMatch -ModuleName Corral -Times 1 -ParameterFilter { $Spec.Name -eq 'ctestunit-ctes-off-alice-loopback-tcp' -and ($Spec.RemotePort -join ',') -eq '1-41816,41818-65535' }
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $Spec.Name -notlike '*-loopback-tcp' }
            $result = Test-CorralFirewallEffective -NoThrow
            $result.Effective | Should -BeFalse
            $result.Reasons -join ' ' | Should -Match 'loopback-tcp does not match the recorded rule set'
        }
        It 'a rule of the recorded set that is missing is a reason (a set written for another port)' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'True' } } }
            $state = New-CorralTestStateRecord
            $state['users']['alice']['firewall'] = @{ proxyPort = 41817; loopbackPorts = @() }
            Write-CorralTestState -State $state
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $true }
            # Only the remote rule and the block-all loopback rule of a setup without a proxy port.
            Mock -ModuleName Corral Get-NetFirewallRule {
                foreach ($n in 'remote', 'loopback') { [pscustomobject]@{ Name = "ctestunit-ctes-off-alice-$n"; Enabled = 'True'; Action = 'Block'; Direction = 'Outbound' } }
            }
            $result = Test-CorralFirewallEffective -NoThrow
            $result.Effective | Should -BeFalse
            $result.Reasons -join ' ' | Should -Match 'loopback-tcp is missing'
        }
        It 'is CorralFirewallIneffective when a journaled rule is not in the active store' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'True' } } }
            Mock -ModuleName Corral Get-NetFirewallRule { @() }
            { Test-CorralFirewallEffective } | Should -Throw -ErrorId 'CorralFirewallIneffective*'
        }
    }
}
