Describe 'Get-CorralUserGroupFacts' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            Skip-CorralUnlessSim
            $script:record = @{ identities = @{ offline = @{ name = 'ctes-off-alice'; sid = 'S-1-5-21-1000-2000-3000-1002' }; online = @{ name = 'ctes-on-alice'; sid = 'S-1-5-21-1000-2000-3000-1003' } }; group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1000-2000-3000-1001' } }
        }
        It 'reports a missing group with every failed check' {
            $facts = InModuleScope Corral -Parameters @{ R = $script:record } { param($R) Get-CorralUserGroupFacts -User alice -Record $R }
            $facts['exists'] | Should -BeFalse
            $facts['problems'] | Should -Contain 'exists is false'
            $facts['problems'] | Should -Contain 'membersMatch is false'
        }
        It 'is clean when the group has the recorded SID and exactly the two identities' {
            $null = New-LocalGroup -Name 'ctes-grp-alice'
            Add-LocalGroupMember -Group 'ctes-grp-alice' -Member 'S-1-5-21-1000-2000-3000-1002'
            Add-LocalGroupMember -Group 'ctes-grp-alice' -Member 'S-1-5-21-1000-2000-3000-1003'
            $facts = InModuleScope Corral -Parameters @{ R = $script:record } { param($R) Get-CorralUserGroupFacts -User alice -Record $R }
            $facts['sidMatches'] | Should -BeTrue
            $facts['membersMatch'] | Should -BeTrue
            $facts['problems'].Count | Should -Be 0
        }
        It 'flags an extra member (it could write the user''s workspaces)' {
            $null = New-LocalGroup -Name 'ctes-grp-alice'
            Add-LocalGroupMember -Group 'ctes-grp-alice' -Member @('S-1-5-21-1000-2000-3000-1002', 'S-1-5-21-1000-2000-3000-1003', 'S-1-5-21-1000-2000-3000-4242')
            $facts = InModuleScope Corral -Parameters @{ R = $script:record } { param($R) Get-CorralUserGroupFacts -User alice -Record $R }
            $facts['membersMatch'] | Should -BeFalse
            ($facts['problems'] -join ';') | Should -Match '4242'
        }
    }
}
