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
    }
}
