BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
}
Describe 'New-CorralPassword' {
    It 'makes 40-character passwords with every character class, different each time' {
        $plain = InModuleScope Corral {
            1..2 | ForEach-Object { [System.Net.NetworkCredential]::new('', (New-CorralPassword)).Password }
        }
        $plain[0].Length | Should -Be 40
        $plain[0] | Should -MatchExactly '[A-Z]'
        $plain[0] | Should -MatchExactly '[a-z]'
        $plain[0] | Should -Match '[0-9]'
        $plain[0] | Should -Match '[^A-Za-z0-9]'
        $plain[0] | Should -Not -Be $plain[1]
    }
}
