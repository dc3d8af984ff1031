Describe 'Test-CorralRegistryKey' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState; Remove-Variable -Name CorralTestRegistryHive -Scope Global -ErrorAction Ignore }
    Context 'behaviour (an in-memory hive in place of the registry)' {
        BeforeEach {
            $store = @{ 'SOFTWARE\CorralPester' = @{} }
            Use-CorralFakeRegistry -Hive (New-CorralFakeRegistryHive -Store $store)
        }
        It 'is false for a key that does not exist' {
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' } | Should -BeFalse
        }
        It 'is true for a key that exists, looked up in the 64-bit view by default' {
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPester\' } | Should -BeTrue
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 1 -Exactly -ParameterFilter { $View -eq 'Registry64' }
        }
    }
    Context 'the real registry' {
        It 'is true for a key that exists (the real registry)' -Tag Windows {
            Skip-CorralUnlessWindows
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\Microsoft' } | Should -BeTrue
        }
    }
}
