BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
}
Describe 'ConvertFrom-CorralJson' {
    It 'keeps date-like strings as strings and one-element arrays as arrays' {
        $value = InModuleScope Corral { ConvertFrom-CorralJson -Json '{"a":"2024-01-01T00:00:00Z","b":["x"],"c":{"d":1,"e":null,"f":true}}' }
        $value['a'] | Should -BeOfType [string]
        $value['a'] | Should -BeExactly '2024-01-01T00:00:00Z'
        , $value['b'] | Should -BeOfType [object[]]
        $value['c']['d'] | Should -Be 1
        $value['c']['f'] | Should -BeTrue
    }
}
