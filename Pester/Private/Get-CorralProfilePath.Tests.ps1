Describe 'Get-CorralProfilePath' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    It 'reads ProfileImagePath of the SID''s ProfileList key and expands its variables' {
        Mock -ModuleName Corral Get-CorralRegistryValue { '%CORRAL_PESTER_DRIVE%\Users\crl-off-alice' }
        $env:CORRAL_PESTER_DRIVE = 'C:'
        try {
            InModuleScope Corral { Get-CorralProfilePath -Sid 'S-1-5-21-1-2-3-2001' } | Should -Be 'C:\Users\crl-off-alice'
        } finally { Remove-Item env:CORRAL_PESTER_DRIVE }
        Should -Invoke Get-CorralRegistryValue -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
            $Key -eq 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-2001' -and $Name -eq 'ProfileImagePath'
        }
    }
    It 'returns nothing for an account without a profile' {
        Mock -ModuleName Corral Get-CorralRegistryValue { $null }
        InModuleScope Corral { Get-CorralProfilePath -Sid 'S-1-5-21-1-2-3-2001' } | Should -BeNullOrEmpty
    }
    It 'refuses a value that is not a SID' {
        { InModuleScope Corral { Get-CorralProfilePath -Sid 'alice' } } | Should -Throw
    }
}
