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
        It 'is CorralFirewallIneffective when a journaled rule is not in the active store' {
            Mock -ModuleName Corral Get-NetFirewallProfile { foreach ($n in 'Domain', 'Private', 'Public') { [pscustomobject]@{ Name = $n; Enabled = 'True'; DefaultOutboundAction = 'Allow'; AllowLocalFirewallRules = 'True' } } }
            Mock -ModuleName Corral Get-NetFirewallRule { @() }
            { Test-CorralFirewallEffective } | Should -Throw -ErrorId 'CorralFirewallIneffective*'
        }
    }
}
