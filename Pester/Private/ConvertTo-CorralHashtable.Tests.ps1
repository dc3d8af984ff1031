Describe 'ConvertTo-CorralHashtable' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'turns objects into ordered hashtables, recursively, keeping key order' {
            $object = '{"b":1,"a":{"c":[1,2],"d":null}}' | ConvertFrom-Json
            $table = InModuleScope Corral -Parameters @{ O = $object } { param($O) ConvertTo-CorralHashtable -InputObject $O }
            $table | Should -BeOfType ([System.Collections.Specialized.OrderedDictionary])
            @($table.Keys) | Should -Be @('b', 'a')
            $table['a']['c'] | Should -Be @(1, 2)
            $table['a']['d'] | Should -BeNullOrEmpty
        }
        It 'keeps a one-element array an array' {
            $object = '{"list":["only"]}' | ConvertFrom-Json
            $table = InModuleScope Corral -Parameters @{ O = $object } { param($O) ConvertTo-CorralHashtable -InputObject $O }
            , $table['list'] | Should -BeOfType ([object[]])
            $table['list'].Count | Should -Be 1
        }
        It 'leaves strings as data (never evaluated)' {
            $value = InModuleScope Corral { ConvertTo-CorralHashtable -InputObject '$(Stop-Computer)' }
            $value | Should -BeExactly '$(Stop-Computer)'
            InModuleScope Corral { ConvertTo-CorralHashtable -InputObject $null } | Should -BeNullOrEmpty
        }
    }
}
