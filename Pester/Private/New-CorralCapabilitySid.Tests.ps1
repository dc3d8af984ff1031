Describe 'New-CorralCapabilitySid' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'is a S-1-5-21 SID with four 32-bit parts' {
            $sid = InModuleScope Corral { New-CorralCapabilitySid }
            $sid | Should -Match '^S-1-5-21-\d+-\d+-\d+-\d+$'
            foreach ($part in ($sid -split '-' | Select-Object -Skip 4)) { [uint64]$part | Should -BeLessOrEqual ([uint64][uint32]::MaxValue) }
        }
        It 'is fresh every time (128 random bits)' {
            $sids = 1..20 | ForEach-Object { InModuleScope Corral { New-CorralCapabilitySid } }
            @($sids | Sort-Object -Unique).Count | Should -Be 20
        }
    }
}
