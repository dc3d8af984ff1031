Describe 'Get-CorralFileAcl' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'fails for a path that does not exist' {
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'missing') } { param($P) Get-CorralFileAcl -Path $P } } | Should -Throw
        }
        It 'returns the owner and every ACE as data, explicit and inherited' -Tag Windows {
            Skip-CorralUnlessWindows
            $dir = Join-Path $TestDrive 'acl'; $null = New-Item -ItemType Directory -Path $dir
            $acl = InModuleScope Corral -Parameters @{ P = $dir } { param($P) Get-CorralFileAcl -Path $P }
            $acl.Owner | Should -Match '^S-1-'
            $acl.Aces.Count | Should -BeGreaterThan 0
            $acl.Aces[0].Keys | Should -Contain 'inherited'
            @($acl.Aces | Where-Object { $_.inherited }).Count | Should -BeGreaterThan 0
        }
    }
}
