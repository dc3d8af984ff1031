Describe 'Resolve-CorralWorkspacePath' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            $script:ws = Join-Path $TestDrive 'src/app'; $null = New-Item -ItemType Directory -Path $script:ws -Force
            Mock -ModuleName Corral Get-CorralOwnerSid { 'S-1-5-21-1-2-3-1001' }
        }
        It 'returns the full path of an existing folder the user owns' {
            InModuleScope Corral -Parameters @{ P = $script:ws } { param($P) Resolve-CorralWorkspacePath -Path $P -OwnerSid 'S-1-5-21-1-2-3-1001' } | Should -Be ([System.IO.Path]::GetFullPath($script:ws))
        }
        It 'is CorralWorkspaceNotOwned when another account owns it' {
            { InModuleScope Corral -Parameters @{ P = $script:ws } { param($P) Resolve-CorralWorkspacePath -Path $P -OwnerSid 'S-1-5-21-1-2-3-9999' } } | Should -Throw -ErrorId 'CorralWorkspaceNotOwned*'
        }
        It 'is CorralWorkspaceInvalid for a relative path, a missing folder, or one inside ProgramData' {
            { InModuleScope Corral { Resolve-CorralWorkspacePath -Path 'relative' -OwnerSid 'S-1-5-21-1-2-3-1001' } } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'missing') } { param($P) Resolve-CorralWorkspacePath -Path $P -OwnerSid 'S-1-5-21-1-2-3-1001' } } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
            $inside = Join-Path $env:ProgramData 'ws'; $null = New-Item -ItemType Directory -Path $inside -Force
            { InModuleScope Corral -Parameters @{ P = $inside } { param($P) Resolve-CorralWorkspacePath -Path $P -OwnerSid 'S-1-5-21-1-2-3-1001' } } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*' -ExpectedMessage '*system folder*'
        }
        It 'is CorralWorkspaceInvalid for a symbolic link (the grant would move to its target)' {
            $link = Join-Path $TestDrive 'link'
            $null = New-Item -ItemType SymbolicLink -Path $link -Target $script:ws
            { InModuleScope Corral -Parameters @{ P = $link } { param($P) Resolve-CorralWorkspacePath -Path $P -OwnerSid 'S-1-5-21-1-2-3-1001' } } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*' -ExpectedMessage '*junction or symbolic link*'
        }
    }
}
