Describe 'Initialize-CorralStateDirectory' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'creates the state, credentials and logs folders and gives each a protected ACL (Users read, except credentials)' {
            Mock -ModuleName Corral Set-CorralPrivateAcl { }
            InModuleScope Corral { Initialize-CorralStateDirectory -Confirm:$false }
            foreach ($d in '', 'credentials', 'logs') { [System.IO.Path]::Combine($env:ProgramData, 'ctestunit', $d) | Should -Exist }
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -Times 3 -Exactly -ParameterFilter { $Container }
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -like '*credentials' -and -not ($ReaderSids | Where-Object { $_ }) }
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -Times 2 -Exactly -ParameterFilter { $ReaderSids -contains 'S-1-5-32-545' }
        }
        It 're-ACLs a folder that already exists (%ProgramData% lets Users create folders: never trust one)' {
            Mock -ModuleName Corral Set-CorralPrivateAcl { }
            $null = New-Item -ItemType Directory -Path ([System.IO.Path]::Combine($env:ProgramData, 'ctestunit', 'logs')) -Force
            InModuleScope Corral { Initialize-CorralStateDirectory -Confirm:$false }
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -like '*logs' }
        }
        It 'leaves the simulated folders protected, owned by Administrators' {
            Skip-CorralUnlessSim
            InModuleScope Corral { Initialize-CorralStateDirectory -Confirm:$false }
            $acl = InModuleScope Corral { Get-CorralFileAcl -Path (Get-CorralInstallation).CredentialDir }
            $acl.Protected | Should -BeTrue
            $acl.Owner | Should -Be 'S-1-5-32-544'
            @($acl.Aces.sid | Sort-Object) | Should -Be @('S-1-5-18', 'S-1-5-32-544')
        }
    }
}
