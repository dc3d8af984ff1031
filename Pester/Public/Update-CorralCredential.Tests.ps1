Describe 'Update-CorralCredential (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Assert-CorralElevation { return }
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }
    Describe 'Update-CorralCredential' {
        It 'sets a new random password on the account, then stores it' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Set-LocalUser { return }
            Mock -ModuleName Corral Save-CorralCredential { [pscustomobject]@{ Path = 'p'; Changed = $true } }
            (Update-CorralCredential -User alice -Network offline -Force).Changed | Should -BeTrue
            Should -Invoke Set-LocalUser -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $SID -eq 'S-1-5-21-1-2-3-2001' -and $Password.Length -ge 32 }
            Should -Invoke Save-CorralCredential -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Identity -eq 'ctes-off-alice' -and $Password.Length -ge 32 }
        }
        It 'is CorralNotProvisioned for an unknown user' {
            { Update-CorralCredential -User bob -Network offline -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
        }
    }
}
