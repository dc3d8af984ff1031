Describe 'Test-CorralPathOverlap' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeAll { $script:base = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'base')) }
        It 'is true for the same path, a parent, and a child (case-insensitive)' {
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathOverlap -Path $B -Other $B.ToUpperInvariant() } | Should -BeTrue
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathOverlap -Path (Join-Path $B 'c') -Other $B } | Should -BeTrue
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathOverlap -Path $B -Other (Join-Path $B 'c/d') } | Should -BeTrue
        }
        It 'is false for siblings, including one whose name starts with the other''s' {
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathOverlap -Path ($B + 'x') -Other $B } | Should -BeFalse
            InModuleScope Corral -Parameters @{ B = $script:base } { param($B) Test-CorralPathOverlap -Path (Join-Path $B 'a') -Other (Join-Path $B 'b') } | Should -BeFalse
        }
    }
}
