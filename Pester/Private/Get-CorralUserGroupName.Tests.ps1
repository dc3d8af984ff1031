Describe 'Get-CorralUserGroupName (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }

    # The same examples as test/unit/windows-user-group.test.ts (orchestrator/provision/windows/user-group.ts).
    Describe 'Get-CorralUserGroupName' {
        It 'maps <User> (prefix <Prefix>) to <Expected>' -ForEach @(
            @{ User = 'alice'; Prefix = 'crl'; Expected = 'crl-grp-alice' }
            @{ User = 'Alice'; Prefix = 'crl'; Expected = 'crl-grp-alice' }
            @{ User = 'john.smith'; Prefix = 'crl'; Expected = 'crl-grp-joh-3b5ed8ad' }
            @{ User = 'DOMAIN\user'; Prefix = 'crl'; Expected = 'crl-grp-dom-ea69fc4d' }
            @{ User = 'averyveryverylongusername_one'; Prefix = 'crl'; Expected = 'crl-grp-ave-a9aebf7e' }
            @{ User = 'alice'; Prefix = 'ctes'; Expected = 'ctes-grp-alice' }
            @{ User = 'john.smith'; Prefix = 'ctes'; Expected = 'ctes-grp-jo-3b5ed8ad' }
            @{ User = 'runneradmin'; Prefix = 'ctes'; Expected = 'ctes-grp-runneradmin' }
        ) {
            InModuleScope Corral -Parameters @{ User = $User; Prefix = $Prefix } {
                Get-CorralUserGroupName -User $User -Prefix $Prefix
            } | Should -BeExactly $Expected
        }
        It 'stays within 20 characters and never equals an identity name' {
            InModuleScope Corral {
                foreach ($user in 'bob', ('x' * 64), 'dev_1', 'crl-off-bob') {
                    $group = Get-CorralUserGroupName -User $user -Prefix crl
                    $group.Length | Should -BeLessOrEqual 20
                    $group | Should -Not -Be (Get-CorralIdentityName -User $user -Network offline -Prefix crl)
                    $group | Should -Not -Be (Get-CorralIdentityName -User $user -Network online -Prefix crl)
                }
            }
        }
        It 'uses the installation prefix by default' {
            InModuleScope Corral { Get-CorralUserGroupName -User bob } | Should -BeExactly 'ctes-grp-bob'
        }
    }
}
