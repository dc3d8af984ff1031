Describe 'Read-CorralJournal' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { $script:journal = Join-Path $env:ProgramData 'ctestunit/journal.jsonl' }
        It 'returns nothing when there is no journal' {
            @(InModuleScope Corral { Read-CorralJournal }).Count | Should -Be 0
        }
        It 'pairs lines by id: in effect = before without undone; done = an after exists' {
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a'; kind = 'group'; scope = 'machine'; undo = @{ name = 'g' } }
                @{ phase = 'after'; id = 'a' }
                @{ phase = 'before'; id = 'b'; kind = 'user'; scope = 'identity:x'; undo = @{ name = 'x' } }
                @{ phase = 'before'; id = 'c'; kind = 'hidden'; scope = 'identity:x'; undo = @{ name = 'x' } }
                @{ phase = 'after'; id = 'c' }
                @{ phase = 'undone'; id = 'c' }
            )
            $entries = @(InModuleScope Corral { Read-CorralJournal })
            $entries.id | Should -Be @('a', 'b')
            $entries[0]['done'] | Should -BeTrue
            $entries[1]['done'] | Should -BeFalse
            $entries[0]['undo']['name'] | Should -Be 'g'
        }
        It 'filters by scope, case-insensitively (Windows paths)' {
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a'; kind = 'ace'; scope = 'workspace:c:\src'; undo = @{ path = 'C:\src' } }
                @{ phase = 'before'; id = 'b'; kind = 'ace'; scope = 'workspace:c:\other'; undo = @{ path = 'C:\other' } }
            )
            @(InModuleScope Corral { Read-CorralJournal -Scope 'WORKSPACE:C:\SRC' }).id | Should -Be @('a')
        }
        It 'is CorralStateCorrupt on a line that is not JSON (teardown must not skip changes silently)' {
            $null = New-Item -ItemType Directory -Path (Split-Path -Parent $script:journal) -Force
            Set-Content -LiteralPath $script:journal -Value '{"phase":"before","id":"a"}', 'not json'
            { InModuleScope Corral { Read-CorralJournal } } | Should -Throw -ErrorId 'CorralStateCorrupt*' -ExpectedMessage '*line 2*'
        }
    }
}
