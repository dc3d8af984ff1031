Describe 'Remove-CorralRegistryKey' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'does nothing (and no error) when the key is missing' {
            { InModuleScope Corral { Remove-CorralRegistryKey -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Confirm:$false } } | Should -Not -Throw
        }
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
