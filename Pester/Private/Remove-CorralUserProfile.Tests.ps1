Describe 'Remove-CorralUserProfile' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeAll {
            # CimCmdlets exist on Windows only: stand-ins to mock elsewhere.
            if (-not (Get-Command Get-CimInstance -ErrorAction Ignore)) { function global:Get-CimInstance { param($ClassName) } ; function global:Remove-CimInstance { param($InputObject) } }
        }
        It 'deletes only the Win32_UserProfile instance of that SID' {
            Mock -ModuleName Corral Get-CimInstance { [pscustomobject]@{ SID = 'S-1-5-21-1-2-3-2001' }; [pscustomobject]@{ SID = 'S-1-5-21-1-2-3-9999' } }
            Mock -ModuleName Corral Remove-CimInstance { }
            InModuleScope Corral { Remove-CorralUserProfile -Sid 'S-1-5-21-1-2-3-2001' -Confirm:$false }
            Should -Invoke Remove-CimInstance -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $InputObject.SID -eq 'S-1-5-21-1-2-3-2001' }
        }
        It 'does nothing when the SID has no profile, and nothing with -WhatIf' {
            Mock -ModuleName Corral Get-CimInstance { [pscustomobject]@{ SID = 'S-1-5-21-1-2-3-2001' } }
            Mock -ModuleName Corral Remove-CimInstance { }
            InModuleScope Corral { Remove-CorralUserProfile -Sid 'S-1-5-21-1-2-3-7777' -Confirm:$false; Remove-CorralUserProfile -Sid 'S-1-5-21-1-2-3-2001' -WhatIf }
            Should -Invoke Remove-CimInstance -ModuleName Corral -Times 0 -Exactly
        }
        It 'refuses a value that is not a SID' {
            { InModuleScope Corral { Remove-CorralUserProfile -Sid 'alice' -Confirm:$false } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
    }
}
