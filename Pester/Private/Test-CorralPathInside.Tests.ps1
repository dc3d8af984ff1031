Describe 'Test-CorralPathInside' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeAll { $script:s = [System.IO.Path]::DirectorySeparatorChar; $script:base = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'base')) }
        It 'is true strictly inside, case-insensitively, after .. is resolved' {
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path (Join-Path $B 'a/b') -Folder $B } | Should -BeTrue
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path (Join-Path $B 'A') -Folder $B.ToUpperInvariant() } | Should -BeTrue
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path ($B + '/x/../y') -Folder $B } | Should -BeTrue
        }
        It 'is false for the folder itself, a sibling with the same prefix, and an escape through ..' {
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path $B -Folder $B } | Should -BeFalse
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path ($B + 'x') -Folder $B } | Should -BeFalse
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathInside -Path ($B + '/a/../../etc') -Folder $B } | Should -BeFalse
        }
    }
}
