Describe 'Get-CorralIdentityName (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Assert-CorralElevation { return }
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }

    # The same examples as test/unit/identities.test.ts and orchestrator/identities.ts (Windows).
    Describe 'Get-CorralIdentityName' {
        It 'maps <User> (<Network>) to <Expected>' -ForEach @(
            @{ User = 'alice'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-alice' }
            @{ User = 'alice'; Network = 'online'; Prefix = 'crl'; Expected = 'crl-on-alice' }
            @{ User = 'Ann'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-ann' }
            @{ User = 'john.smith'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-joh-3b5ed8ad' }
            @{ User = 'john.smith'; Network = 'online'; Prefix = 'crl'; Expected = 'crl-on-joh-3b5ed8ad' }
            @{ User = 'dev_1'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-dev-9f32e243' }
            @{ User = 'jörg'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-jrg-12c433a0' }
            @{ User = ('x' * 64); Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-xxx-7ce10097' }
            @{ User = 'DOMAIN\user'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-dom-ea69fc4d' }
            @{ User = '-x'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-x-a4209624' }
            @{ User = 'averyveryverylongusername_one'; Network = 'offline'; Prefix = 'crl'; Expected = 'crl-off-ave-a9aebf7e' }
            @{ User = 'john.smith'; Network = 'offline'; Prefix = 'ctes'; Expected = 'ctes-off-jo-3b5ed8ad' }
        ) {
            Get-CorralIdentityName -User $User -Network $Network -Prefix $Prefix | Should -BeExactly $Expected
        }
        It 'never exceeds 20 characters and treats case as one name' {
            (Get-CorralIdentityName -User ('Q' * 40) -Network offline -Prefix crl).Length | Should -BeLessOrEqual 20
            Get-CorralIdentityName -User 'Alice' -Network offline -Prefix crl | Should -BeExactly (Get-CorralIdentityName -User 'alice' -Network offline -Prefix crl)
        }
        It 'uses the installation prefix by default' {
            Get-CorralIdentityName -User bob -Network online | Should -BeExactly 'ctes-on-bob'
        }
    }
}
