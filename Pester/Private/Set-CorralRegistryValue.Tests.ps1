Describe 'Set-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'changes nothing with -WhatIf' {
            InModuleScope Corral { Set-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'n' -Value 1 -Kind DWord -WhatIf }
            InModuleScope Corral { Test-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' } | Should -BeFalse
        }
        It 'refuses a kind other than DWord or String' {
            { InModuleScope Corral { Set-CorralRegistryValue -Key 'HKCU:\x' -Name 'n' -Value 1 -Kind Binary -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
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
