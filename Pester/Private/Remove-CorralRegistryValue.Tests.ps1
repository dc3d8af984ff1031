Describe 'Remove-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'does nothing (and no error) when the key is missing' {
            { InModuleScope Corral { Remove-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'n' -Confirm:$false } } | Should -Not -Throw
        }
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
