Describe 'Revoke-CorralWorkspace (module)' {
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
    Describe 'Revoke-CorralWorkspace' {
        It 'removes exactly the ACEs journaled for that workspace and forgets it' {
            $app = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/app'))
            $other = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/other'))
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = $app; capabilitySid = 'S-1-5-21-4-5-6-7' }, @{ path = $other; capabilitySid = 'S-1-5-21-4-5-6-8' })
            Write-CorralTestState -State $record
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a1'; kind = 'ace'; scope = "workspace:$($app.ToLowerInvariant())"; undo = @{ path = $app; sid = 'S-1-5-21-4-5-6-7'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'a2'; kind = 'ace'; scope = "workspace:$($other.ToLowerInvariant())"; undo = @{ path = $other; sid = 'S-1-5-21-4-5-6-8'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            Mock -ModuleName Corral Remove-CorralAce { return }
            (Revoke-CorralWorkspace -User alice -Path $app -Force).AcesRemoved | Should -Be 1
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Undo['path'] -eq $app -and $Undo['sid'] -eq 'S-1-5-21-4-5-6-7' }
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            @($state.users.alice.workspaces).path | Should -Be @($other)
        }
    }
}
