Describe 'Set-CorralFileAcl' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'refuses an owner that is not a SID' {
            { InModuleScope Corral { Set-CorralFileAcl -Path '.' -Owner 'Administrators' -Aces @(@{ sid = 'S-1-5-18'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 }) -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
        It 'touches nothing with -WhatIf' {
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'missing') } { param($P) Set-CorralFileAcl -Path $P -Owner 'S-1-5-32-544' -Aces @(@{ sid = 'S-1-5-18'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 }) -WhatIf } } | Should -Not -Throw
        }
        It 'writes a protected DACL of exactly the ACEs, nothing inherited' -Tag Windows {
            Skip-CorralUnlessWindows
            $file = Join-Path $TestDrive 'private.txt'; Set-Content -LiteralPath $file -Value 'x'
            $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
            InModuleScope Corral -Parameters @{ P = $file; Me = $me } { param($P, $Me) Set-CorralFileAcl -Path $P -Owner $Me -Aces @(@{ sid = $Me; rights = 2032127; type = 'Allow'; inheritance = 0; propagation = 0 }) -Confirm:$false }
            $acl = InModuleScope Corral -Parameters @{ P = $file } { param($P) Get-CorralFileAcl -Path $P }
            $acl.Protected | Should -BeTrue
            @($acl.Aces).Count | Should -Be 1
            $acl.Aces[0].sid | Should -Be $me
        }
    }
}
