Describe 'ConvertTo-CorralSid' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'translates a well-known account name to its SID (NTAccount.Translate)' -Tag Windows {
            Skip-CorralUnlessWindows
            InModuleScope Corral { ConvertTo-CorralSid -Name 'NT AUTHORITY\SYSTEM' } | Should -Be 'S-1-5-18'
            InModuleScope Corral { ConvertTo-CorralSid -Name 'BUILTIN\Administrators' } | Should -Be 'S-1-5-32-544'
        }
        It 'throws for a name no account has' -Tag Windows {
            Skip-CorralUnlessWindows
            { InModuleScope Corral { ConvertTo-CorralSid -Name 'no-such-account-corral-pester' } } | Should -Throw
        }
        It 'refuses an empty name before any lookup' {
            { InModuleScope Corral { ConvertTo-CorralSid -Name '' } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
    }
}
