Describe 'Remove-CorralRegistryKey' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState; Remove-Variable -Name CorralTestRegistryHive -Scope Global -ErrorAction Ignore }
    Context 'behaviour (an in-memory hive in place of the registry)' {
        BeforeEach {
            $store = @{ 'SOFTWARE' = @{}; 'SOFTWARE\CorralPester' = @{}; 'SOFTWARE\CorralPester\Sub' = @{}; 'SOFTWARE\CorralPesterOther' = @{} }
            Use-CorralFakeRegistry -Hive (New-CorralFakeRegistryHive -Store $store)
        }
        It 'does nothing (and no error) when the key is missing' {
            { InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Confirm:$false } } | Should -Not -Throw
        }
        It 'removes the key with its subkeys, in the 64-bit view by default, and nothing beside it' {
            InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPester' -Confirm:$false }
            @($store.Keys | Sort-Object) | Should -Be @('SOFTWARE', 'SOFTWARE\CorralPesterOther')
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 1 -Exactly -ParameterFilter { $View -eq 'Registry64' }
        }
        It '-OnlyIfEmpty keeps a key with a subkey or a value, and removes an empty one' {
            InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPester' -OnlyIfEmpty -Confirm:$false }
            $store.Contains('SOFTWARE\CorralPester') | Should -BeTrue
            $store.Remove('SOFTWARE\CorralPester\Sub')
            $store['SOFTWARE\CorralPester']['x'] = @{ Value = 0; Kind = 'DWord' }
            InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPester' -OnlyIfEmpty -Confirm:$false }
            $store.Contains('SOFTWARE\CorralPester') | Should -BeTrue
            $store['SOFTWARE\CorralPester'].Remove('x')
            InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPester' -OnlyIfEmpty -Confirm:$false }
            $store.Contains('SOFTWARE\CorralPester') | Should -BeFalse
        }
    }
    Context 'the real registry' {
        It 'removes the key with its subkeys' -Tag Windows {
            Skip-CorralUnlessWindows
            $key = "HKCU:\Software\CorralPester-$([guid]::NewGuid().ToString('n'))"
            $null = New-Item -Path "$key\Sub" -Force
            InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Remove-CorralRegistryKey -Key $Key -Confirm:$false }
            Test-Path -LiteralPath $key | Should -BeFalse
        }
        It '-OnlyIfEmpty keeps a key with a value or a subkey and removes an empty one' -Tag Windows {
            Skip-CorralUnlessWindows
            $key = "HKCU:\Software\CorralPester-$([guid]::NewGuid().ToString('n'))"
            try {
                $null = New-Item -Path "$key\Sub" -Force
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Remove-CorralRegistryKey -Key $Key -OnlyIfEmpty -Confirm:$false }
                Test-Path -LiteralPath $key | Should -BeTrue
                Remove-Item -LiteralPath "$key\Sub"
                $null = New-ItemProperty -LiteralPath $key -Name 'x' -Value 0 -PropertyType DWord
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Remove-CorralRegistryKey -Key $Key -OnlyIfEmpty -Confirm:$false }
                Test-Path -LiteralPath $key | Should -BeTrue
                Remove-ItemProperty -LiteralPath $key -Name 'x'
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Remove-CorralRegistryKey -Key $Key -OnlyIfEmpty -Confirm:$false }
                Test-Path -LiteralPath $key | Should -BeFalse
            } finally {
                Remove-Item -LiteralPath $key -Recurse -Force -ErrorAction Ignore
            }
        }
    }
}
