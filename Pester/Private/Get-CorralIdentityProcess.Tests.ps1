Describe 'Get-CorralIdentityProcess' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
        $script:machine = [Environment]::MachineName
    }
    It 'gives the ids of the processes whose user is this computer''s account of that name, without case' {
        Mock -ModuleName Corral Get-Process {
            @(
                [pscustomobject]@{ Id = 10; UserName = "$($script:machine)\crl-off-alice" }
                [pscustomobject]@{ Id = 11; UserName = "$($script:machine.ToLowerInvariant())\CRL-OFF-ALICE" }
                [pscustomobject]@{ Id = 12; UserName = "$($script:machine)\crl-on-alice" }
                [pscustomobject]@{ Id = 13; UserName = "OTHERDOMAIN\crl-off-alice" }
                [pscustomobject]@{ Id = 14; UserName = $null }
            )
        } -ParameterFilter { $IncludeUserName }
        @(InModuleScope Corral { Get-CorralIdentityProcess -Name crl-off-alice }) | Should -Be @(10, 11)
        Should -Invoke Get-Process -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $IncludeUserName }
    }
    It 'gives nothing when nothing runs as the account' {
        Mock -ModuleName Corral Get-Process { @([pscustomobject]@{ Id = 12; UserName = "$($script:machine)\crl-on-alice" }) }
        @(InModuleScope Corral { Get-CorralIdentityProcess -Name crl-off-alice }).Count | Should -Be 0
    }
}
