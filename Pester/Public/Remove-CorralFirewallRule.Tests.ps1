Describe 'Remove-CorralFirewallRule (module)' {
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
    Describe 'Remove-CorralFirewallRule' {
        It 'removes exactly the journaled rules of the identity' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'f1'; kind = 'firewallRule'; scope = 'firewall:ctes-off-alice'; undo = @{ name = 'ctestunit-ctes-off-alice-remote' } }
                @{ phase = 'before'; id = 'f2'; kind = 'firewallRule'; scope = 'firewall:ctes-off-alice'; undo = @{ name = 'ctestunit-ctes-off-alice-loopback' } }
                @{ phase = 'undone'; id = 'f2'; kind = 'firewallRule'; scope = 'firewall:ctes-off-alice'; undo = $null }
                @{ phase = 'before'; id = 'f3'; kind = 'firewallRule'; scope = 'firewall:ctes-off-bob'; undo = @{ name = 'ctestunit-ctes-off-bob-remote' } }
            )
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Remove-NetFirewallRule { return }
            (Remove-CorralFirewallRule -User alice -Force).Removed | Should -Be @('ctestunit-ctes-off-alice-remote')
            Should -Invoke Remove-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctestunit-ctes-off-alice-remote' }
        }
    }
}
