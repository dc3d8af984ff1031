Describe 'Get-CorralRegistryValue' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'returns $null when the key does not exist (no error)' {
            InModuleScope Corral { Get-CorralRegistryValue -Key 'HKLM:\SOFTWARE\CorralPesterNoSuchKey' -Name 'Version' } | Should -BeNullOrEmpty
        }
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
