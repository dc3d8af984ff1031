Describe 'Test-CorralElevation (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }

    Describe 'Test-CorralElevation' {
        It 'is what Assert-CorralElevation asks before anything changes (true: no error; false: CorralNotElevated)' {
            Mock -ModuleName Corral Test-CorralElevation { $false }
            { & (Get-Module Corral) { Assert-CorralElevation } } | Should -Throw -ErrorId 'CorralNotElevated*'
            Mock -ModuleName Corral Test-CorralElevation { $true }
            { & (Get-Module Corral) { Assert-CorralElevation } } | Should -Not -Throw
        }
        It 'returns a boolean for the current token' -Tag Windows {
            Skip-CorralUnlessWindows
            Test-CorralElevation | Should -BeOfType [bool]
        }
    }
}
