Describe 'Test-CorralRegistryKey' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'is false for a key that does not exist' {
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' } | Should -BeFalse
        }
        It 'is true for a key that exists' -Tag Windows {
            Skip-CorralUnlessWindows
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\Microsoft' } | Should -BeTrue
        }
    }
}
