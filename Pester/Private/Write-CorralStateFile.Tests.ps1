Describe 'Write-CorralStateFile' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Mock -ModuleName Corral Set-CorralPrivateAcl { } }
        It 'writes UTF-8 JSON without BOM that Read-CorralStateFile reads back, leaving no temporary file' {
            $state = [ordered]@{ version = 1; installation = 'ctestunit'; users = [ordered]@{ 'AzureAD\ålice' = [ordered]@{ sid = 'S-1-12-1-1' } }; runner = $null }
            InModuleScope Corral -Parameters @{ S = $state } { param($S) Write-CorralStateFile -State $S -Confirm:$false }
            $path = Join-Path $env:ProgramData 'ctestunit/state.json'
            $bytes = [System.IO.File]::ReadAllBytes($path)
            $bytes[0] | Should -Not -Be 0xEF
            "$path.tmp" | Should -Not -Exist
            (InModuleScope Corral { Read-CorralStateFile })['users']['AzureAD\ålice']['sid'] | Should -Be 'S-1-12-1-1'
        }
        It 'writes nothing with -WhatIf' {
            InModuleScope Corral { Write-CorralStateFile -State ([ordered]@{ version = 1 }) -WhatIf }
            Join-Path $env:ProgramData 'ctestunit/state.json' | Should -Not -Exist
        }
    }
}
