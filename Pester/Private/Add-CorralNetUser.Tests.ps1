Describe 'Add-CorralNetUser' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'does nothing with -WhatIf (status 0, no account)' {
            InModuleScope Corral { Add-CorralNetUser -Name 'corral-pester-x' -Password (ConvertTo-SecureString 'x' -AsPlainText -Force) -Description '' -WhatIf } | Should -Be 0
        }
        It 'reports NERR_UserExists (2224) for a name that is taken, changing nothing' -Tag Windows {
            Skip-CorralUnlessWindows
            $builtin = (Get-LocalUser | Where-Object { $_.SID.Value -like '*-500' }).Name
            $secure = ConvertTo-SecureString 'Pw-1234567890-abcdefghijklmnop!' -AsPlainText -Force
            InModuleScope Corral -Parameters @{ N = $builtin; P = $secure } { param($N, $P) Add-CorralNetUser -Name $N -Password $P -Description 'x' -Confirm:$false } | Should -Be 2224
        }
    }
}
