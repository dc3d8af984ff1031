Describe 'Add-CorralAce' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            Skip-CorralUnlessSim
            $script:dir = Join-Path $TestDrive 'ws'; $null = New-Item -ItemType Directory -Path $script:dir -Force
            $script:rx = [int][System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Synchronize'
        }
        It 'adds the ACE, journals exactly the bits it added (before and after), and returns the undo record' {
            $undo = InModuleScope Corral -Parameters @{ P = $script:dir; R = $script:rx } { param($P, $R) Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights $R -Type Allow -Inheritance 'ContainerInherit, ObjectInherit' -Scope 'workspace:x' -Confirm:$false }
            $undo['rights'] | Should -Be $script:rx
            $undo['inheritance'] | Should -Be 3
            $acl = InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Get-CorralFileAcl -Path $P }
            @($acl.Aces | Where-Object { $_.sid -eq 'S-1-5-21-9-9-9-1' -and -not $_.inherited }).Count | Should -Be 1
            $lines = Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl')
            $lines[0] | Should -Match '"phase":"before".*"kind":"ace"'
            $lines[1] | Should -Match '"phase":"after"'
        }
        It 'skips an ACE whose bits are all there already (returns $null, journals nothing)' {
            InModuleScope Corral -Parameters @{ P = $script:dir; R = $script:rx } { param($P, $R) $null = Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights $R -Type Allow -Scope 's' -Confirm:$false }
            $again = InModuleScope Corral -Parameters @{ P = $script:dir; R = $script:rx } { param($P, $R) Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights $R -Type Allow -Scope 's' -Confirm:$false }
            $again | Should -BeNullOrEmpty
            @(Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl')).Count | Should -Be 2
        }
        It 'records only the missing bits when part of the mask is there' {
            InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) $null = Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights ReadData -Type Allow -Scope 's' -Confirm:$false }
            $undo = InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights 'ReadData, WriteData' -Type Allow -Scope 's' -Confirm:$false }
            $undo['rights'] | Should -Be ([int][System.Security.AccessControl.FileSystemRights]::WriteData)
        }
        It 'drops inheritance flags on a file (files carry no inheritable entries)' {
            $file = Join-Path $script:dir 'f.txt'; Set-Content -LiteralPath $file -Value 'x'
            $undo = InModuleScope Corral -Parameters @{ P = $file } { param($P) Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights ReadData -Type Deny -Inheritance 'ContainerInherit, ObjectInherit' -Scope 's' -Confirm:$false }
            $undo['inheritance'] | Should -Be 0
        }
        It 'changes nothing with -WhatIf but says what it would add' {
            $undo = InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Add-CorralAce -Path $P -Sid 'S-1-5-21-9-9-9-1' -Rights ReadData -Type Allow -Scope 's' -WhatIf }
            $undo['rights'] | Should -Be 1
            Join-Path $env:ProgramData 'ctestunit/journal.jsonl' | Should -Not -Exist
            @((InModuleScope Corral -Parameters @{ P = $script:dir } { param($P) Get-CorralFileAcl -Path $P }).Aces | Where-Object { -not $_.inherited }).Count | Should -Be 0
        }
    }
}
