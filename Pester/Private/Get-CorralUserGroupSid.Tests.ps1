Describe 'Get-CorralUserGroupSid' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Skip-CorralUnlessSim }
        It 'returns the recorded SID when the group on the machine has it' {
            $group = New-LocalGroup -Name 'ctes-grp-alice'
            $state = @{ users = @{ alice = @{ group = @{ name = 'ctes-grp-alice'; sid = $group.SID.Value } } } }
            InModuleScope Corral -Parameters @{ S = $state } { param($S) Get-CorralUserGroupSid -User alice -State $S } | Should -Be $group.SID.Value
        }
        It 'is CorralNotProvisioned when no group is recorded' {
            $state = @{ users = @{ alice = @{} } }
            { InModuleScope Corral -Parameters @{ S = $state } { param($S) Get-CorralUserGroupSid -User alice -State $S } } | Should -Throw -ErrorId 'CorralNotProvisioned*'
        }
        It 'is CorralNotProvisioned, never another SID, when the group has another SID (recreated by someone else)' {
            $null = New-LocalGroup -Name 'ctes-grp-alice'
            $state = @{ users = @{ alice = @{ group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1-1-1-1' } } } }
            { InModuleScope Corral -Parameters @{ S = $state } { param($S) Get-CorralUserGroupSid -User alice -State $S } } | Should -Throw -ErrorId 'CorralNotProvisioned*'
        }
    }
}
