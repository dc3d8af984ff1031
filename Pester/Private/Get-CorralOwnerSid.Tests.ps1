Describe 'Get-CorralOwnerSid' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'is the owner that Get-CorralFileAcl reads' {
            Mock -ModuleName Corral Get-CorralFileAcl { @{ Owner = 'S-1-5-21-1-2-3-1001'; Protected = $false; Aces = @() } }
            InModuleScope Corral { Get-CorralOwnerSid -Path 'x' } | Should -Be 'S-1-5-21-1-2-3-1001'
            Should -Invoke Get-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq 'x' }
        }
    }
}
