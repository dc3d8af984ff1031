Describe 'Revoke-CorralTraverse (module)' {
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
    Describe 'Revoke-CorralTraverse' {
        It 'undoes exactly the traverse ACEs of that user' {
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 't1'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = 'C:\Users\alice'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 't2'; kind = 'ace'; scope = 'traverse:bob'; undo = @{ path = 'C:\Users\bob'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            Mock -ModuleName Corral Remove-CorralAce { return }
            (Revoke-CorralTraverse -User alice -Force).AcesRemoved | Should -Be 1
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Undo['path'] -eq 'C:\Users\alice' }
            (Revoke-CorralTraverse -User alice -Force).Changed | Should -BeFalse
        }
        It 'with -Path undoes only the ACEs on those folders (any case, trailing separator), and keeps the others' {
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 't1'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = 'C:\src'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 't2'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = 'C:\Users\alice'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 't3'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = 'C:\Users\alice\.cargo'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 3; propagation = 0 } }
            )
            Mock -ModuleName Corral Remove-CorralAce { return }
            (Revoke-CorralTraverse -User alice -Path 'c:\SRC\' -Force).AcesRemoved | Should -Be 1
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Undo['path'] -eq 'C:\src' }
            $left = @(InModuleScope Corral { Read-CorralJournal -Scope 'traverse:alice' } | ForEach-Object { $_['undo']['path'] })
            $left | Should -Be @('C:\Users\alice', 'C:\Users\alice\.cargo')
            (Revoke-CorralTraverse -User alice -Path 'C:\src' -Force).Changed | Should -BeFalse
            (Revoke-CorralTraverse -User alice -Path @() -Force).Changed | Should -BeFalse
        }
    }
}
