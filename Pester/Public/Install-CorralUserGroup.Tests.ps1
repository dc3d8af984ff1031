Describe 'Install-CorralUserGroup (module)' {
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

    Describe 'Install-CorralUserGroup' {
        BeforeEach {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            # alice's two identities exist with the recorded SIDs.
            Mock -ModuleName Corral Get-LocalUser {
                switch ($Name) {
                    'ctes-off-alice' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001') } }
                    'ctes-on-alice' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2002') } }
                }
            }
            Mock -ModuleName Corral New-LocalGroup { $script:groupExists = $true }
            Mock -ModuleName Corral Add-LocalGroupMember { $script:members.Add($Member.SID.Value) }
            Mock -ModuleName Corral Remove-LocalGroupMember { $null = $script:members.Remove($Member.SID.Value) }
            Mock -ModuleName Corral Get-LocalGroup {
                if ($script:groupExists) { [pscustomobject]@{ Name = 'ctes-grp-alice'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3100') } }
            }
            Mock -ModuleName Corral Get-LocalGroupMember {
                foreach ($m in $script:members) { [pscustomobject]@{ Name = "member-$m"; SID = (New-CorralTestSid $m) } }
            }
            $script:groupExists = $false
            $script:members = [System.Collections.Generic.List[string]]::new()
        }
        It 'creates ctes-grp-alice, journals it, records {name, sid} and adds exactly both identities' {
            $result = Install-CorralUserGroup -User alice -Force
            $result.Changed | Should -BeTrue
            $result.Name | Should -BeExactly 'ctes-grp-alice'
            $result.Sid | Should -Be 'S-1-5-21-1-2-3-3100'
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctes-grp-alice' -and $Description -ceq 'Corral sandbox identities of alice' }
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Group -eq 'ctes-grp-alice' -and $Member.SID.Value -eq 'S-1-5-21-1-2-3-2001' }
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Group -eq 'ctes-grp-alice' -and $Member.SID.Value -eq 'S-1-5-21-1-2-3-2002' }
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 2 -Exactly
            @($script:members | Sort-Object) | Should -Be @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002')
            $journal = @(Get-Content (Join-Path $env:ProgramData 'ctestunit\journal.jsonl') | ForEach-Object { $_ | ConvertFrom-Json })
            @($journal | Where-Object { $_.phase -eq 'before' -and $_.kind -eq 'group' -and $_.scope -eq 'usergroup:alice' -and $_.undo.name -eq 'ctes-grp-alice' }).Count | Should -Be 1
            @($journal | Where-Object { $_.phase -eq 'after' -and $_.kind -eq 'group' }).Count | Should -Be 1
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            $state.users.alice.group.name | Should -BeExactly 'ctes-grp-alice'
            $state.users.alice.group.sid | Should -Be 'S-1-5-21-1-2-3-3100'
        }
        It 'changes nothing on a re-run (idempotent)' {
            Install-CorralUserGroup -User alice -Force | Out-Null
            $again = Install-CorralUserGroup -User alice -Force
            $again.Changed | Should -BeFalse
            $again.Changes | Should -BeNullOrEmpty
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 1 -Exactly
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 2 -Exactly
        }
        It 'removes a member that is not one of the user''s identities (it could write the user''s workspaces)' {
            Install-CorralUserGroup -User alice -Force | Out-Null
            $script:members.Add('S-1-5-21-7-7-7-1500')
            $result = Install-CorralUserGroup -User alice -Force
            $result.Changed | Should -BeTrue
            Should -Invoke Remove-LocalGroupMember -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Group -eq 'ctes-grp-alice' -and $Member.SID.Value -eq 'S-1-5-21-7-7-7-1500' }
            @($script:members | Sort-Object) | Should -Be @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002')
        }
        It 'fails (CorralStepFailed) when the members read back are not exactly the identities' {
            Mock -ModuleName Corral Add-LocalGroupMember { return }
            { Install-CorralUserGroup -User alice -Force } | Should -Throw -ErrorId 'CorralStepFailed*'
        }
        It 'refuses to adopt a group of that name it did not create (CorralUserExists)' {
            $script:groupExists = $true
            { Install-CorralUserGroup -User alice -Force } | Should -Throw -ErrorId 'CorralUserExists*'
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 0 -Exactly
        }
        It 'needs the user''s identities first (CorralNotProvisioned)' {
            { Install-CorralUserGroup -User bob -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 0 -Exactly
        }
        It 'changes nothing with -WhatIf' {
            Install-CorralUserGroup -User alice -WhatIf | Out-Null
            Should -Invoke New-LocalGroup -ModuleName Corral -Times 0 -Exactly
            Should -Invoke Add-LocalGroupMember -ModuleName Corral -Times 0 -Exactly
            Test-Path (Join-Path $env:ProgramData 'ctestunit\journal.jsonl') | Should -BeFalse
        }
    }
}
