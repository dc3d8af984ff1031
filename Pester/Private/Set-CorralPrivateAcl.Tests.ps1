Describe 'Set-CorralPrivateAcl' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Mock -ModuleName Corral Set-CorralFileAcl { } }
        It 'writes Administrators and SYSTEM full control, owner Administrators, readers read, all inherited for a folder' {
            InModuleScope Corral { Set-CorralPrivateAcl -Path 'p' -ReaderSids @('S-1-5-32-545') -Container -Confirm:$false }
            Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $full = [int][System.Security.AccessControl.FileSystemRights]::FullControl
                $read = [int][System.Security.AccessControl.FileSystemRights]'Read, Synchronize'
                $Owner -eq 'S-1-5-32-544' -and $Aces.Count -eq 3 -and
                $Aces[0]['sid'] -eq 'S-1-5-32-544' -and $Aces[0]['rights'] -eq $full -and $Aces[0]['inheritance'] -eq 3 -and
                $Aces[1]['sid'] -eq 'S-1-5-18' -and $Aces[1]['rights'] -eq $full -and
                $Aces[2]['sid'] -eq 'S-1-5-32-545' -and $Aces[2]['rights'] -eq $read -and $Aces[2]['type'] -eq 'Allow'
            }
        }
        It 'gives read and execute with -ReadExecute, and no inheritance on a file' {
            InModuleScope Corral { Set-CorralPrivateAcl -Path 'f' -ReaderSids @('S-1-5-21-1') -ReadExecute -Confirm:$false }
            Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Aces[2]['rights'] -eq [int][System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Synchronize' -and $Aces[2]['inheritance'] -eq 0
            }
        }
        It 'writes nothing with -WhatIf' {
            InModuleScope Corral { Set-CorralPrivateAcl -Path 'p' -WhatIf }
            Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 0 -Exactly
        }
    }
}
