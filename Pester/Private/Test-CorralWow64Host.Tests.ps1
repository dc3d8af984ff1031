Describe 'Test-CorralWow64Host' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    Context 'behaviour' {
        It 'is true exactly for a 32-bit process on a 64-bit OS (this process: <Expected>)' -ForEach @(
            @{ Expected = ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) }
        ) {
            InModuleScope Corral { Test-CorralWow64Host } | Should -Be $Expected
        }
        It 'is false in a 64-bit process' -Skip:(-not [Environment]::Is64BitProcess) {
            InModuleScope Corral { Test-CorralWow64Host } | Should -BeFalse
        }
    }
}
