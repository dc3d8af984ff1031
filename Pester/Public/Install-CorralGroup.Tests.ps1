Describe 'Install-CorralGroup (module)' {
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

    Describe 'Install-CorralGroup' {
        It 'creates the group when missing and journals it' {
            Mock -ModuleName Corral Get-LocalGroup { $null }
            Mock -ModuleName Corral New-LocalGroup { return }
            $result = Install-CorralGroup -Force
            $result.Changed | Should -BeTrue
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctestunitSandboxUsers' }
            Get-Content (Join-Path $env:ProgramData 'ctestunit\journal.jsonl') | Should -Match '"kind":"group"'
        }
        It 'changes nothing when the group exists' {
            Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
            Mock -ModuleName Corral New-LocalGroup { return }
            (Install-CorralGroup -Force).Changed | Should -BeFalse
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 0 -Exactly
        }
    }
}
