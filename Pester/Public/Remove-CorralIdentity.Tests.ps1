Describe 'Remove-CorralIdentity (module)' {
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
    Describe 'Remove-CorralIdentity' {
        It 'undoes exactly the journaled changes of the identity, newest first, and forgets it' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'u1'; kind = 'user'; scope = 'identity:ctes-on-alice'; undo = @{ name = 'ctes-on-alice'; sid = $null } }
                @{ phase = 'after'; id = 'u1'; kind = 'user'; scope = 'identity:ctes-on-alice'; undo = $null }
                @{ phase = 'before'; id = 'h1'; kind = 'hidden'; scope = 'identity:ctes-on-alice'; undo = @{ name = 'ctes-on-alice' } }
                @{ phase = 'before'; id = 'x1'; kind = 'user'; scope = 'identity:ctes-off-alice'; undo = @{ name = 'ctes-off-alice'; sid = $null } }
            )
            $script:order = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Undo-CorralJournalEntry { $script:order.Add($Entry['id']) }
            Remove-CorralIdentity -User alice -Network online -Force | Out-Null
            $script:order | Should -Be @('h1', 'u1')
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            $state.users.alice.identities.PSObject.Properties.Name | Should -Be @('offline')
        }
        It 'removes the user''s own group (its journaled creation only) with the last identity' {
            $record = New-CorralTestStateRecord
            $record.users.alice.identities.Remove('online')
            $record.users.alice.group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1-2-3-3100' }
            Write-CorralTestState -State $record
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'g0'; kind = 'group'; scope = 'machine'; undo = @{ name = 'ctestunitSandboxUsers' } }
                @{ phase = 'before'; id = 'u1'; kind = 'user'; scope = 'identity:ctes-off-alice'; undo = @{ name = 'ctes-off-alice'; sid = $null } }
                @{ phase = 'before'; id = 'g1'; kind = 'group'; scope = 'usergroup:alice'; undo = @{ name = 'ctes-grp-alice' } }
                @{ phase = 'before'; id = 'g2'; kind = 'group'; scope = 'usergroup:bob'; undo = @{ name = 'ctes-grp-bob' } }
            )
            $script:order = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Undo-CorralJournalEntry { $script:order.Add($Entry['id']) }
            $result = Remove-CorralIdentity -User alice -Network offline -Force
            $script:order | Should -Be @('u1', 'g1')
            $result.Removed | Should -Contain 'group'
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            $state.users.PSObject.Properties.Name | Should -Not -Contain 'alice'
        }
        It 'keeps the user''s group while another identity of the user remains' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'u1'; kind = 'user'; scope = 'identity:ctes-on-alice'; undo = @{ name = 'ctes-on-alice'; sid = $null } }
                @{ phase = 'before'; id = 'g1'; kind = 'group'; scope = 'usergroup:alice'; undo = @{ name = 'ctes-grp-alice' } }
            )
            $script:order = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Undo-CorralJournalEntry { $script:order.Add($Entry['id']) }
            Remove-CorralIdentity -User alice -Network online -Force | Out-Null
            $script:order | Should -Be @('u1')
        }
        It 'asks for confirmation: -WhatIf changes nothing' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Undo-CorralJournalEntry { return }
            Remove-CorralIdentity -User alice -Network online -WhatIf | Out-Null
            Should -Invoke Undo-CorralJournalEntry -ModuleName Corral -Times 0 -Exactly
        }
    }
}
