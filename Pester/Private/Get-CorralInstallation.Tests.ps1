Describe 'Get-CorralInstallation' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'is corral with the crl prefix and the Corral folders when CORRAL_INSTANCE is unset' {
            $env:CORRAL_INSTANCE = $null
            $i = InModuleScope Corral { Get-CorralInstallation }
            $i.Name | Should -BeExactly 'corral'
            $i.IdentityPrefix | Should -BeExactly 'crl'
            $i.SandboxGroup | Should -BeExactly 'CorralSandboxUsers'
            $i.StateDir | Should -Be ([System.IO.Path]::Combine($env:ProgramData, 'Corral'))
            $i.RunnerEntry | Should -Be ([System.IO.Path]::Combine($env:ProgramFiles, 'Corral', 'app', 'dist', 'runner', 'main.js'))
            $i.RegistryKey | Should -BeExactly 'HKLM:\SOFTWARE\Corral'
        }
        It 'derives every name from a test instance' {
            $i = InModuleScope Corral { Get-CorralInstallation }
            $i.Name | Should -BeExactly 'ctestunit'
            $i.IdentityPrefix | Should -BeExactly 'ctes'
            $i.FirewallGroup | Should -BeExactly 'ctestunit'
            $i.JournalFile | Should -Be ([System.IO.Path]::Combine($env:ProgramData, 'ctestunit', 'journal.jsonl'))
        }
        It 'refuses an instance name outside ^[a-z][a-z0-9]{1,11}$ (CorralConfigInvalid)' -ForEach @('UPPER', 'a', 'has-dash', 'waytoolongname1', '..\x') {
            $env:CORRAL_INSTANCE = $_
            { InModuleScope Corral { Get-CorralInstallation } } | Should -Throw -ErrorId 'CorralConfigInvalid*'
        }
    }
}
