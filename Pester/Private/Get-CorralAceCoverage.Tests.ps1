Describe 'Get-CorralAceCoverage' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeAll {
            $script:acl = @{ Owner = 'S-1-5-32-544'; Protected = $false; Aces = @(
                    @{ sid = 'S-1-5-21-1'; rights = 1; type = 'Allow'; inheritance = 3; propagation = 0; inherited = $false }
                    @{ sid = 'S-1-5-21-1'; rights = 4; type = 'Allow'; inheritance = 3; propagation = 0; inherited = $false }
                    @{ sid = 'S-1-5-21-1'; rights = 16; type = 'Allow'; inheritance = 3; propagation = 0; inherited = $true }
                    @{ sid = 'S-1-5-21-1'; rights = 32; type = 'Deny'; inheritance = 3; propagation = 0; inherited = $false }
                    @{ sid = 'S-1-5-21-1'; rights = 64; type = 'Allow'; inheritance = 0; propagation = 0; inherited = $false }
                    @{ sid = 'S-1-5-21-2'; rights = 128; type = 'Allow'; inheritance = 3; propagation = 0; inherited = $false }) }
        }
        It 'ORs the explicit ACEs of the same SID, type and flags only' {
            InModuleScope Corral -Parameters @{ A = $script:acl } { param($A) Get-CorralAceCoverage -Acl $A -Sid 'S-1-5-21-1' -Type Allow -Inheritance 3 -Propagation 0 } | Should -Be 5
        }
        It 'ignores inherited ACEs (they belong to another grant)' {
            $only = @{ Aces = @(@{ sid = 'S-1-5-21-1'; rights = 16; type = 'Allow'; inheritance = 3; propagation = 0; inherited = $true }) }
            InModuleScope Corral -Parameters @{ A = $only } { param($A) Get-CorralAceCoverage -Acl $A -Sid 'S-1-5-21-1' -Type Allow -Inheritance 3 -Propagation 0 } | Should -Be 0
        }
        It 'tells deny from allow and one set of flags from another' {
            InModuleScope Corral -Parameters @{ A = $script:acl } { param($A) Get-CorralAceCoverage -Acl $A -Sid 'S-1-5-21-1' -Type Deny -Inheritance 3 -Propagation 0 } | Should -Be 32
            InModuleScope Corral -Parameters @{ A = $script:acl } { param($A) Get-CorralAceCoverage -Acl $A -Sid 'S-1-5-21-1' -Type Allow -Inheritance 0 -Propagation 0 } | Should -Be 64
            InModuleScope Corral -Parameters @{ A = $script:acl } { param($A) Get-CorralAceCoverage -Acl $A -Sid 'S-1-5-21-9' -Type Allow -Inheritance 3 -Propagation 0 } | Should -Be 0
        }
    }
}
