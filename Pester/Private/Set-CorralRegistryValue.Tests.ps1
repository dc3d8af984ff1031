Describe 'Set-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState; Remove-Variable -Name CorralTestRegistryHive -Scope Global -ErrorAction Ignore }
    Context 'behaviour (an in-memory hive in place of the registry)' {
        BeforeEach {
            $store = @{}
            Use-CorralFakeRegistry -Hive (New-CorralFakeRegistryHive -Store $store)
        }
        It 'changes nothing with -WhatIf (the hive is not even opened)' {
            InModuleScope Corral { Set-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'n' -Value 1 -Kind DWord -WhatIf }
            $store.Count | Should -Be 0
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 0 -Exactly
        }
        It 'creates the key (and its parents) in the 64-bit view by default, and writes a DWord as an integer and a String as text' {
            InModuleScope Corral {
                Set-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester\Sub' -Name 'd' -Value '7' -Kind DWord -Confirm:$false
                Set-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPester\Sub' -Name 's' -Value 5 -Confirm:$false
            }
            $store.Contains('SOFTWARE\CorralPester') | Should -BeTrue
            $store['SOFTWARE\CorralPester\Sub']['d'].Value | Should -BeOfType [int]
            $store['SOFTWARE\CorralPester\Sub']['d'].Kind | Should -Be 'DWord'
            $store['SOFTWARE\CorralPester\Sub']['s'].Value | Should -BeExactly '5'
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 2 -Exactly -ParameterFilter { $View -eq 'Registry64' -and $Key -eq 'HKLM:\SOFTWARE\CorralPester\Sub' }
        }
        It 'opens the view it is asked for' {
            InModuleScope Corral { Set-CorralRegistryValue -Key 'HKLM:\SOFTWARE\X' -Name 'n' -Value 'v' -View Registry32 -Confirm:$false }
            Should -Invoke -ModuleName Corral Open-CorralRegistryBaseKey -Times 1 -Exactly -ParameterFilter { $View -eq 'Registry32' }
        }
        It 'refuses a kind other than DWord or String' {
            { InModuleScope Corral { Set-CorralRegistryValue -Key 'HKCU:\x' -Name 'n' -Value 1 -Kind Binary -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
    }
    Context 'the real registry' {
        It 'creates the key when missing and writes DWord and String values' -Tag Windows {
            Skip-CorralUnlessWindows
            $key = "HKCU:\Software\CorralPester-$([guid]::NewGuid().ToString('n'))\Sub"
            try {
                InModuleScope Corral -Parameters @{ Key = $key } { param($Key) Set-CorralRegistryValue -Key $Key -Name 'd' -Value 0 -Kind DWord -Confirm:$false; Set-CorralRegistryValue -Key $Key -Name 's' -Value 'v' -Confirm:$false }
                (Get-ItemProperty -LiteralPath $key).d | Should -Be 0
                (Get-ItemProperty -LiteralPath $key).s | Should -BeExactly 'v'
            } finally { Remove-Item -LiteralPath (Split-Path -Parent $key) -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}
