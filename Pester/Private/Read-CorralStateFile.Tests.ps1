Describe 'Read-CorralStateFile' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'is an empty version 1 state of this installation when there is no file' {
            $state = InModuleScope Corral { Read-CorralStateFile }
            $state['version'] | Should -Be 1
            $state['installation'] | Should -Be 'ctestunit'
            $state['users'].Count | Should -Be 0
        }
        It 'reads users as ordered hashtables, strings as written (no date conversion)' {
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = '2024-01-01T00:00:00Z' })
            Write-CorralTestState -State $record
            $state = InModuleScope Corral { Read-CorralStateFile }
            $state['users']['alice']['identities']['offline']['sid'] | Should -Be 'S-1-5-21-1-2-3-2001'
            $state['users']['alice']['workspaces'][0]['path'] | Should -BeExactly '2024-01-01T00:00:00Z'
        }
        It 'is CorralStateCorrupt for <_>' -ForEach @('not json', '{"version":2,"installation":"ctestunit","users":{}}', '{"version":1,"installation":"other","users":{}}', '[1,2]') {
            Set-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit/state.json') -Value $_
            { InModuleScope Corral { Read-CorralStateFile } } | Should -Throw -ErrorId 'CorralStateCorrupt*'
        }
    }
}
