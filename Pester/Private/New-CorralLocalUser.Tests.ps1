Describe 'New-CorralLocalUser' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach {
            # New-LocalUser must never be the path (PowerShell issue 18624 on 7.3+): a stand-in that fails loudly.
            if (-not (Get-Command New-LocalUser -ErrorAction Ignore)) { function global:New-LocalUser { throw 'New-LocalUser must not be called' } }
            Mock -ModuleName Corral New-LocalUser { throw 'New-LocalUser must not be called' }
            $script:password = ConvertTo-SecureString 'Pw-1234567890-abcdefghijklmnop!' -AsPlainText -Force
        }
        It 'creates the account through NetUserAdd (status 0), with name, password and description, never New-LocalUser' {
            Mock -ModuleName Corral Add-CorralNetUser { 0 }
            InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'ctes-off-alice' -Password $P -Description 'Corral sandbox (offline) of alice' -Confirm:$false }
            Should -Invoke Add-CorralNetUser -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -ceq 'ctes-off-alice' -and $Description -ceq 'Corral sandbox (offline) of alice' -and $Password.Length -eq 31 }
            Should -Invoke New-LocalUser -ModuleName Corral -Times 0 -Exactly
        }
        It 'takes the same path whatever the edition (<_>)' -ForEach @('Desktop', 'Core') {
            # The function has no edition branch: it is the same call on 5.1 and 7. This pins it.
            $text = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../ps-module/Corral/Private/New-CorralLocalUser.ps1') -Raw
            $text | Should -Not -Match 'PSEdition|PSVersionTable|New-LocalUser -'
            Mock -ModuleName Corral Add-CorralNetUser { 0 }
            InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'ctes-on-alice' -Password $P -Confirm:$false }
            Should -Invoke Add-CorralNetUser -ModuleName Corral -Times 1 -Exactly
        }
        It 'maps NERR_UserExists (2224) and ERROR_ALIAS_EXISTS (1379) to CorralUserExists' -ForEach @(2224, 1379) {
            $status = $_
            Mock -ModuleName Corral Add-CorralNetUser { $status }
            { InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'taken' -Password $P -Confirm:$false } } | Should -Throw -ErrorId 'CorralUserExists*'
        }
        It 'maps any other status to CorralStepFailed naming it' {
            Mock -ModuleName Corral Add-CorralNetUser { 2245 }
            { InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'weak' -Password $P -Confirm:$false } } | Should -Throw -ErrorId 'CorralStepFailed*' -ExpectedMessage '*2245*'
        }
        It 'does nothing with -WhatIf, and refuses names that are not account names' {
            Mock -ModuleName Corral Add-CorralNetUser { 0 }
            InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'ctes-off-alice' -Password $P -WhatIf }
            Should -Invoke Add-CorralNetUser -ModuleName Corral -Times 0 -Exactly
            { InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'DOMAIN\x' -Password $P -WhatIf } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
        It 'creates a real, enabled account in the simulated SAM' {
            Skip-CorralUnlessSim
            InModuleScope Corral -Parameters @{ P = $script:password } { param($P) New-CorralLocalUser -Name 'ctes-off-alice' -Password $P -Confirm:$false }
            $user = Get-LocalUser -Name 'ctes-off-alice'
            $user.Enabled | Should -BeTrue
            $user.UserMayChangePassword | Should -BeFalse
            $user.PasswordExpires | Should -BeNullOrEmpty
        }
    }
}
