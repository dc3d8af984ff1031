BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
}
Describe 'Assert-CorralElevation' {
    It 'throws CorralNotElevated when not elevated' {
        Mock -ModuleName Corral Test-CorralElevation { $false }
        { Assert-CorralElevation } | Should -Throw -ErrorId 'CorralNotElevated*'
    }
    It 'returns nothing when elevated' {
        Mock -ModuleName Corral Test-CorralElevation { $true }
        Assert-CorralElevation | Should -BeNullOrEmpty
    }
}
