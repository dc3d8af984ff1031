Describe 'Remove-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState; Remove-Variable -Name CorralTestRegistryHive -Scope Global -ErrorAction Ignore }
    Context 'behaviour (an in-memory hive in place of the registry)' {
        BeforeEach {
            $store = @{ 'SOFTWARE\CorralPester' = @{ n = @{ Value = 1; Kind = 'DWord' }; m = @{ Value = 'x'; Kind = 'String' } } }
            Use-CorralFakeRegistry -Hive (New-CorralFakeRegistryHive -Store $store)
        }
        It 'does nothing (and no error) when the key is missing' {
            { InModuleScope Corral { Remove-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'n' -Confirm:$false } } | Should -Not -Throw
        }
        It 'removes the value and keeps the key and its other values, in the 64-bit view by default; -WhatIf removes nothing' {
            InModuleScope Corral { Remove-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester' -Name 'n' -WhatIf }
            $store['SOFTWARE\CorralPester'].Contains('n') | Should -BeTrue
            InModuleScope Corral { Remove-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester' -Name 'n' -Confirm:$false }
            $store['SOFTWARE\CorralPester'].Contains('n') | Should -BeFalse
            $store['SOFTWARE\CorralPester'].Contains('m') | Should -BeTrue
            { InModuleScope Corral { Remove-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester' -Name 'absent' -Confirm:$false } } | Should -Not -Throw
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -ParameterFilter { $View -ne 'Registry64' } -Times 0 -Exactly
        }
    }
    Context 'the real registry' {
        It 'removes the value and keeps the key' -Tag Windows {
            Skip-CorralUnlessWindows
            $key = "HKCU:\Software\CorralPester-$([guid]::NewGuid().ToString('n'))"
            try {
                $null = New-Item -Path $key -Force; $null = New-ItemProperty -LiteralPath $key -Name 'n' -Value 1 -PropertyType DWord
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Remove-CorralRegistryValue -Key $Key -Name 'n' -Confirm:$false }
                Test-Path -LiteralPath $key | Should -BeTrue
                (Get-ItemProperty -LiteralPath $key).PSObject.Properties['n'] | Should -BeNullOrEmpty
            } finally { Remove-Item -LiteralPath $key -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}
