Describe 'Add-CorralJournalEntry' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'appends one compact JSON line with time, phase, id, kind, scope and undo' {
            Mock -ModuleName Corral Set-CorralPrivateAcl { }
            $entry = InModuleScope Corral { Add-CorralJournalEntry -Phase before -Id 'i1' -Kind 'group' -Scope 'machine' -Undo ([ordered]@{ name = 'g' }) -Confirm:$false }
            $entry['phase'] | Should -Be 'before'
            $null = InModuleScope Corral { Add-CorralJournalEntry -Phase after -Id 'i1' -Kind 'group' -Scope 'machine' -Confirm:$false }
            $lines = @(Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl'))
            $lines.Count | Should -Be 2
            $first = $lines[0] | ConvertFrom-Json
            $first.id | Should -Be 'i1'; $first.kind | Should -Be 'group'; $first.undo.name | Should -Be 'g'
            { [DateTime]::Parse($first.time) } | Should -Not -Throw
        }
        It 'writes nothing with -WhatIf' {
            $null = InModuleScope Corral { Add-CorralJournalEntry -Phase before -Id 'i1' -WhatIf }
            Join-Path $env:ProgramData 'ctestunit/journal.jsonl' | Should -Not -Exist
        }
        It 'refuses a phase other than before, after or undone' {
            { InModuleScope Corral { Add-CorralJournalEntry -Phase 'maybe' -Id 'i1' -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
    }
}
