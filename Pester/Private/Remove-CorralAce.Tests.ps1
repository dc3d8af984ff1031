Describe 'Remove-CorralAce' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            Skip-CorralUnlessSim
            $script:dir = Join-Path $TestDrive 'ws'; $null = New-Item -ItemType Directory -Path $script:dir -Force
        }
        It 'takes away exactly the recorded bits and keeps what was there before' {
            InModuleScope Corral -Parameters @{ P = $script:dir } { param($P)
                Add-CorralFileAccessRule -Path $P -Sid 'S-1-5-21-7' -Rights 1 -Type Allow -Confirm:$false
                Add-CorralFileAccessRule -Path $P -Sid 'S-1-5-21-7' -Rights 2 -Type Allow -Confirm:$false
                Remove-CorralAce -Undo @{ path = $P; sid = 'S-1-5-21-7'; rights = 2; type = 'Allow'; inheritance = 0; propagation = 0 } -Confirm:$false
            }
            $aces = @((InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Get-CorralFileAcl -Path $P }).Aces | Where-Object { -not $_.inherited })
            $aces.Count | Should -Be 1
            $aces[0].rights | Should -Be 1
        }
        It 'does nothing when the path is gone (an undo tolerates absence)' {
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'gone') } { param($P) Remove-CorralAce -Undo @{ path = $P; sid = 'S-1-5-21-7'; rights = 2; type = 'Allow'; inheritance = 0; propagation = 0 } -Confirm:$false } } | Should -Not -Throw
        }
        It 'changes nothing with -WhatIf' {
            Mock -ModuleName Corral Remove-CorralFileAccessRule { }
            InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Remove-CorralAce -Undo @{ path = $P; sid = 'S-1-5-21-7'; rights = 2; type = 'Allow'; inheritance = 0; propagation = 0 } -WhatIf }
            Should -Invoke Remove-CorralFileAccessRule -ModuleName Corral -Times 0 -Exactly
        }
    }
}
