Describe 'Get-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState; Remove-Variable -Name CorralTestRegistryHive -Scope Global -ErrorAction Ignore }
    Context 'behaviour (an in-memory hive in place of the registry)' {
        BeforeEach {
            $store = @{ 'SOFTWARE\CorralPester' = @{ Version = @{ Value = '0.1.0'; Kind = 'String' } } }
            Use-CorralFakeRegistry -Hive (New-CorralFakeRegistryHive -Store $store)
        }
        It 'returns $null when the key does not exist (no error)' {
            InModuleScope Corral { Get-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'Version' } | Should -BeNullOrEmpty
        }
        It 'reads a value in the 64-bit view by default (key names in any case), and $null for a missing value' {
            InModuleScope Corral { Get-CorralRegistryValue -Key 'HKLM:\software\corralpester' -Name 'Version' } | Should -BeExactly '0.1.0'
            InModuleScope Corral { Get-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester' -Name 'Other' } | Should -BeNullOrEmpty
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 2 -Exactly -ParameterFilter { $View -eq 'Registry64' }
        }
    }
    Context 'the real registry' {
        It 'reads a value written by Set-CorralRegistryValue, and $null for a missing value' -Tag Windows {
            Skip-CorralUnlessWindows
            $key = "HKCU:\Software\CorralPester-$([guid]::NewGuid().ToString('n'))"
            try {
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Set-CorralRegistryValue -Key $Key -Name 'n' -Value 7 -Kind DWord -Confirm:$false }
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Get-CorralRegistryValue -Key $Key -Name 'n' } | Should -Be 7
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Get-CorralRegistryValue -Key $Key -Name 'other' } | Should -BeNullOrEmpty
            } finally { Remove-Item -LiteralPath $key -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}
