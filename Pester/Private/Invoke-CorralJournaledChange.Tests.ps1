Describe 'Invoke-CorralJournaledChange' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Mock -ModuleName Corral Set-CorralPrivateAcl { } }
        It 'writes before (with the undo), runs the change, writes after, and returns the id' {
            $id = InModuleScope Corral { Invoke-CorralJournaledChange -Kind 'directory' -Scope 'machine' -Undo ([ordered]@{ path = 'p' }) -Description 'd' -Change { 'ignored output' } }
            $id | Should -Match '^[0-9a-f-]{36}$'
            $lines = @(Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl') | ConvertFrom-Json)
            $lines.phase | Should -Be @('before', 'after')
            $lines[0].undo.path | Should -Be 'p'
            $lines.id | Sort-Object -Unique | Should -Be $id
        }
        It 'keeps only the before line and fails as CorralStepFailed when the change throws' {
            { InModuleScope Corral { Invoke-CorralJournaledChange -Kind 'directory' -Scope 'machine' -Undo ([ordered]@{ path = 'p' }) -Description 'Making p' -Change { throw 'disk full' } } } |
                Should -Throw -ErrorId 'CorralStepFailed*' -ExpectedMessage '*Making p failed: disk full*'
            @(Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl') | ConvertFrom-Json).phase | Should -Be @('before')
        }
        It 'passes a Corral error through with its own ErrorId' {
            Mock -ModuleName Corral Add-CorralNetUser { 2224 }
            { InModuleScope Corral { Invoke-CorralJournaledChange -Kind 'user' -Scope 's' -Undo ([ordered]@{ name = 'n' }) -Description 'd' -Change { New-CorralLocalUser -Name 'taken' -Password (ConvertTo-SecureString 'x' -AsPlainText -Force) -Confirm:$false } } } |
                Should -Throw -ErrorId 'CorralUserExists*'
        }
    }
}
