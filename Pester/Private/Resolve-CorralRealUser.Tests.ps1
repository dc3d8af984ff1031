Describe 'Resolve-CorralRealUser' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Skip-CorralUnlessSim }
        It 'resolves <_> to its SID and profile folder' -ForEach @('AzureAD\alice', 'azuread\ALICE') {
            $profileDir = Join-Path $TestDrive 'Users/alice'
            Add-SimRealUser -Name 'AzureAD\alice' -Sid 'S-1-12-1-111-222-333-444' -ProfilePath $profileDir
            $user = InModuleScope Corral -Parameters @{ U = $_ } { param($U) Resolve-CorralRealUser -User $U }
            $user.Sid | Should -Be 'S-1-12-1-111-222-333-444'
            $user.Profile | Should -Be $profileDir
            $user.Name | Should -Be $_
        }
        It 'has no profile for a user who never logged on' {
            Add-SimRealUser -Name 'DOMAIN\bob' -Sid 'S-1-5-21-5-6-7-1105'
            (InModuleScope Corral { Resolve-CorralRealUser -User 'DOMAIN\bob' }).Profile | Should -BeNullOrEmpty
        }
        It 'is CorralConfigInvalid for a name that is no account' {
            { InModuleScope Corral { Resolve-CorralRealUser -User 'nobody' } } | Should -Throw -ErrorId 'CorralConfigInvalid*'
        }
    }
}
