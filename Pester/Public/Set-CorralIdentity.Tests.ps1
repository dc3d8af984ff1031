Describe 'Set-CorralIdentity (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Assert-CorralElevation { return }
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }
    Describe 'Set-CorralIdentity' {
        BeforeEach {
            Mock -ModuleName Corral Set-CorralRegistryValue { return }
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Set-LocalUser { return }
            Mock -ModuleName Corral Enable-LocalUser { return }
            Mock -ModuleName Corral Add-LocalGroupMember { return }
            Mock -ModuleName Corral New-ItemProperty { return }
            Mock -ModuleName Corral New-Item { return } -ParameterFilter { $Path -like 'HKLM:*' }
            Mock -ModuleName Corral New-CorralUserProfile { 'C:\Users\ctes-off-alice' }
        }
        It 're-applies only what differs, and hides the account and creates its profile once' {
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true; UserMayChangePassword = $true; PasswordExpires = (Get-Date) } }
            Mock -ModuleName Corral Get-LocalGroupMember { @() }
            Mock -ModuleName Corral Get-CorralRegistryValue { $null }
            Mock -ModuleName Corral Test-CorralRegistryKey { $false }
            $result = Set-CorralIdentity -User alice -Network offline -Force
            $result.Changed | Should -BeTrue
            Should -Invoke Set-LocalUser -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $PasswordNeverExpires -eq $true -and $UserMayChangePassword -eq $false }
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Group -eq 'ctestunitSandboxUsers' }
            Should -Invoke Set-CorralRegistryValue -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctes-off-alice' -and $Value -eq 0 -and $Kind -eq 'DWord' -and $Key -like '*Winlogon\SpecialAccounts\UserList' }
            Should -Invoke New-CorralUserProfile -ModuleName Corral -Times 1 -Exactly
            # UserList did not exist (Test-CorralRegistryKey $false): the hide's undo removes the key too.
            $hidden = @(Get-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit/journal.jsonl') | ConvertFrom-Json | Where-Object { $_.kind -eq 'hidden' -and $_.phase -eq 'before' })
            $hidden.Count | Should -Be 1
            $hidden[0].undo.createdKey | Should -BeTrue
        }
        It 'changes nothing when everything is in place' {
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true; UserMayChangePassword = $false; PasswordExpires = $null } }
            Mock -ModuleName Corral Get-LocalGroupMember { [pscustomobject]@{ SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001') } }
            Mock -ModuleName Corral Get-CorralRegistryValue { 0 } -ParameterFilter { $Name -eq 'ctes-off-alice' }
            Mock -ModuleName Corral Test-CorralRegistryKey { $true } -ParameterFilter { $Key -like 'HKLM:*ProfileList*' }
            (Set-CorralIdentity -User alice -Network offline -Force).Changed | Should -BeFalse
            Should -Invoke Set-LocalUser -ModuleName Corral -Times 0 -Exactly
            Should -Invoke Set-CorralRegistryValue -ModuleName Corral -Times 0 -Exactly
            Should -Invoke New-CorralUserProfile -ModuleName Corral -Times 0 -Exactly
        }
        It 'reports a missing recorded account as CorralNotProvisioned' {
            Mock -ModuleName Corral Get-LocalUser { $null }
            { Set-CorralIdentity -User alice -Network offline -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
        }
    }
}
