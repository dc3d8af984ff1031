Describe 'Add-CorralFileAccessRule' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'refuses a value that is not a SID, and a type other than Allow or Deny' {
            { InModuleScope Corral { Add-CorralFileAccessRule -Path '.' -Sid 'alice' -Rights 1 -Type Allow -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
            { InModuleScope Corral { Add-CorralFileAccessRule -Path '.' -Sid 'S-1-5-18' -Rights 1 -Type Audit -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
        It 'touches nothing with -WhatIf (not even a missing path)' {
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'missing') } { param($P) Add-CorralFileAccessRule -Path $P -Sid 'S-1-5-18' -Rights 1 -Type Allow -WhatIf } } | Should -Not -Throw
        }
        It 'adds exactly the given bits for the SID (read back through Get-CorralFileAcl)' -Tag Windows {
            Skip-CorralUnlessWindows
            $dir = Join-Path $TestDrive 'ace'; $null = New-Item -ItemType Directory -Path $dir
            $rights = [int][System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Synchronize'
            InModuleScope Corral -Parameters @{ P = $dir; R = $rights } { param($P, $R)
                Add-CorralFileAccessRule -Path $P -Sid 'S-1-5-32-545' -Rights $R -Type Allow -Inheritance 3 -Confirm:$false
                if ('Add' -eq 'Remove') { Remove-CorralFileAccessRule -Path $P -Sid 'S-1-5-32-545' -Rights $R -Type Allow -Inheritance 3 -Confirm:$false }
            }
            $acl = InModuleScope Corral -Parameters @{ P = $dir } { param($P) Get-CorralFileAcl -Path $P }
            $mask = 0
            foreach ($ace in $acl.Aces) { if (-not $ace.inherited -and $ace.sid -eq 'S-1-5-32-545' -and $ace.inheritance -eq 3) { $mask = $mask -bor $ace.rights } }
            $mask | Should -Be 0x1200a9
        }
    }
}
