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
Describe 'Get-CorralState' {
    It 'returns the record and what it finds, and reports drift' {
        Write-CorralTestState -State (New-CorralTestStateRecord)
        Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = [System.Security.Principal.SecurityIdentifier]'S-1-5-21-1-2-3-3001' } }
        Mock -ModuleName Corral Get-LocalGroupMember { [pscustomobject]@{ SID = [System.Security.Principal.SecurityIdentifier]'S-1-5-21-1-2-3-2001' } }
        Mock -ModuleName Corral Get-LocalUser { if ($Name -eq 'ctes-off-alice') { [pscustomobject]@{ Name = $Name; SID = [System.Security.Principal.SecurityIdentifier]'S-1-5-21-1-2-3-2001'; Enabled = $true } } }
        Mock -ModuleName Corral Get-NetFirewallRule { @() }
        $state = Get-CorralState
        $state.Provisioned | Should -BeTrue
        $state.Recorded['users']['alice']['identities']['offline']['name'] | Should -Be 'ctes-off-alice'
        $state.Found['users']['alice']['identities']['offline']['exists'] | Should -BeTrue
        $state.Found['users']['alice']['identities']['online']['exists'] | Should -BeFalse
        $state.Drift -join "`n" | Should -Match 'ctes-on-alice: exists is false'
    }
    It 'is not provisioned on a clean machine' {
        Mock -ModuleName Corral Get-LocalGroup { $null }
        Mock -ModuleName Corral Get-NetFirewallRule { @() }
        (Get-CorralState).Provisioned | Should -BeFalse
    }
    It 'is CorralStateCorrupt for a state file it cannot read' {
        Set-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit\state.json') -Value '{ not json'
        { Get-CorralState } | Should -Throw -ErrorId 'CorralStateCorrupt*'
    }
}
