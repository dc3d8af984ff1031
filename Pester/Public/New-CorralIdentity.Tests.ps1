Describe 'New-CorralIdentity (module)' {
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
    Describe 'New-CorralIdentity' {
        BeforeEach {
            Mock -ModuleName Corral Install-CorralGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; Sid = 'S-1-5-21-1-2-3-3001'; Changed = $false } }
            Mock -ModuleName Corral Set-CorralIdentity { [pscustomobject]@{ Name = 'ctes-off-alice'; Changed = $false; Changes = @() } }
            Mock -ModuleName Corral Save-CorralCredential { [pscustomobject]@{ Path = 'x'; Changed = $true } }
            Mock -ModuleName Corral New-CorralLocalUser { return }
            Mock -ModuleName Corral Install-CorralUserGroup { [pscustomobject]@{ Name = 'ctes-grp-alice'; Sid = 'S-1-5-21-1-2-3-3100'; Changed = $false; Changes = @() } }
        }
        It 'creates a missing identity with a 32+ character password that never expires and cannot be changed' {
            $script:exists = $false
            Mock -ModuleName Corral Get-LocalUser { if ($script:exists) { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true } } }
            Mock -ModuleName Corral New-CorralLocalUser { $script:exists = $true }
            $result = New-CorralIdentity -User alice -Network offline -Force
            $result.Changed | Should -BeTrue
            $result.Sid | Should -Be 'S-1-5-21-1-2-3-2001'
            Should -Invoke New-CorralLocalUser -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctes-off-alice' -and $Password.Length -ge 32 -and $Description -ceq 'Corral sandbox (offline) of alice'
            }
            Should -Invoke Save-CorralCredential -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Identity -eq 'ctes-off-alice' -and $Network -eq 'offline' }
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            $state.users.alice.identities.offline.sid | Should -Be 'S-1-5-21-1-2-3-2001'
            # Recorded first, then put in alice's own group (which the workspace ACEs name).
            Should -Invoke Install-CorralUserGroup -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $User -eq 'alice' }
        }
        It 'reports the changes made to the user''s own group' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true } }
            Mock -ModuleName Corral Install-CorralUserGroup { [pscustomobject]@{ Name = 'ctes-grp-alice'; Changed = $true; Changes = @('added ctes-off-alice to ctes-grp-alice') } }
            $result = New-CorralIdentity -User alice -Network offline -Force
            $result.Changed | Should -BeTrue
            $result.Changes | Should -Contain 'added ctes-off-alice to ctes-grp-alice'
        }
        It 'does not call New-CorralLocalUser for an identity it already created (idempotent)' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true } }
            $result = New-CorralIdentity -User alice -Network offline -Force
            $result.Changed | Should -BeFalse
            Should -Invoke New-CorralLocalUser -ModuleName Corral -Times 0 -Exactly
            Should -Invoke Set-CorralIdentity -ModuleName Corral -Times 1 -Exactly
        }
        It 'refuses to adopt an account it did not create (CorralUserExists)' {
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = 'ctes-off-alice'; SID = (New-CorralTestSid 'S-1-5-21-9-9-9-500'); Enabled = $true } }
            { New-CorralIdentity -User alice -Network offline -Force } | Should -Throw -ErrorId 'CorralUserExists*'
            Should -Invoke New-CorralLocalUser -ModuleName Corral -Times 0 -Exactly
        }
        It 'changes nothing with -WhatIf' {
            Mock -ModuleName Corral Get-LocalUser { $null }
            New-CorralIdentity -User alice -Network offline -WhatIf | Out-Null
            Should -Invoke New-CorralLocalUser -ModuleName Corral -Times 0 -Exactly
        }
    }
}
