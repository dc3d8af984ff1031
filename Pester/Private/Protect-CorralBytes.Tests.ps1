Describe 'Protect-CorralBytes' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'returns a LocalMachine DPAPI blob that only the same entropy opens' -Tag Windows {
            Skip-CorralUnlessWindows
            $bytes = [byte[]](1, 2, 3, 250)
            $entropy = [System.Text.Encoding]::UTF8.GetBytes('corral:x')
            $blob = InModuleScope Corral -Parameters @{ B = $bytes; E = $entropy } { param($B, $E) Protect-CorralBytes -Bytes $B -Entropy $E }
            [System.Security.Cryptography.ProtectedData]::Unprotect($blob, $entropy, 'LocalMachine') | Should -Be $bytes
            { [System.Security.Cryptography.ProtectedData]::Unprotect($blob, [byte[]](9), 'LocalMachine') } | Should -Throw
        }
        It 'refuses to run without entropy (every Corral blob is bound to its identity)' {
            { InModuleScope Corral { Protect-CorralBytes -Bytes ([byte[]](1)) -Entropy $null } } | Should -Throw
        }
    }
}
