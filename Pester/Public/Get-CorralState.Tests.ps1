Describe 'Get-CorralState (module)' {
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
    Describe 'Get-CorralState' {
        It 'returns the record and what it finds, and reports drift' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
            Mock -ModuleName Corral Get-LocalGroupMember { [pscustomobject]@{ SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001') } }
            Mock -ModuleName Corral Get-LocalUser { if ($Name -eq 'ctes-off-alice') { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001'); Enabled = $true } } }
            Mock -ModuleName Corral Get-NetFirewallRule { @() }
            $state = Get-CorralState
            $state.Provisioned | Should -BeTrue
            $state.Recorded['users']['alice']['identities']['offline']['name'] | Should -Be 'ctes-off-alice'
            $state.Found['users']['alice']['identities']['offline']['exists'] | Should -BeTrue
            $state.Found['users']['alice']['identities']['online']['exists'] | Should -BeFalse
            $state.Drift -join "`n" | Should -Match 'ctes-on-alice: exists is false'
        }
        Context 'the user''s own group' {
            BeforeEach {
                $record = New-CorralTestStateRecord
                $record.users.alice.group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1-2-3-3100' }
                Write-CorralTestState -State $record
                Mock -ModuleName Corral Get-LocalGroup {
                    switch ($Name) {
                        'ctes-grp-alice' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3100') } }
                        'ctestunitSandboxUsers' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
                    }
                }
                $script:groupMembers = @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002')
                Mock -ModuleName Corral Get-LocalGroupMember {
                    $sids = if ($Group -eq 'ctes-grp-alice') { $script:groupMembers } else { @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002') }
                    foreach ($s in $sids) { [pscustomobject]@{ SID = (New-CorralTestSid $s) } }
                }
                Mock -ModuleName Corral Get-LocalUser {
                    $sid = if ($Name -eq 'ctes-off-alice') { 'S-1-5-21-1-2-3-2001' } else { 'S-1-5-21-1-2-3-2002' }
                    [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid $sid); Enabled = $true }
                }
                Mock -ModuleName Corral Get-NetFirewallRule { @() }
            }
            It 'reports it as recorded and found, members exactly the two identities, with no drift' {
                $state = Get-CorralState
                $state.Recorded['users']['alice']['group']['sid'] | Should -Be 'S-1-5-21-1-2-3-3100'
                $found = $state.Found['users']['alice']['group']
                $found['name'] | Should -BeExactly 'ctes-grp-alice'
                $found['exists'] | Should -BeTrue
                $found['sidMatches'] | Should -BeTrue
                $found['membersMatch'] | Should -BeTrue
                @($found['members']) | Should -Be @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002')
                $state.Drift -join "`n" | Should -Not -Match 'ctes-grp-alice'
            }
            It 'reports drift when the members differ (an extra member could write alice''s workspaces)' {
                $script:groupMembers = @('S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002', 'S-1-5-21-7-7-7-1500')
                $state = Get-CorralState
                $state.Found['users']['alice']['group']['membersMatch'] | Should -BeFalse
                $state.Drift -join "`n" | Should -Match 'group ctes-grp-alice of alice: membersMatch is false'
            }
            It 'reports drift when the group is gone or was never recorded' {
                Mock -ModuleName Corral Get-LocalGroup { $null } -ParameterFilter { $Name -eq 'ctes-grp-alice' }
                $state = Get-CorralState
                $state.Found['users']['alice']['group']['exists'] | Should -BeFalse
                $state.Drift -join "`n" | Should -Match 'group ctes-grp-alice of alice: exists is false'
                Write-CorralTestState -State (New-CorralTestStateRecord)
                (Get-CorralState).Drift -join "`n" | Should -Match 'group ctes-grp-alice of alice: recorded is false'
            }
        }
        It 'is not provisioned on a clean machine' {
            Mock -ModuleName Corral Get-LocalGroup { $null }
            Mock -ModuleName Corral Get-NetFirewallRule { @() }
            (Get-CorralState).Provisioned | Should -BeFalse
        }
        It 'is CorralStateCorrupt for a state file it cannot read' {
            Set-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit\state.json') -Value '{ not json'
            { Get-CorralState } | Should -Throw -ErrorId 'CorralStateCorrupt*'
        }
    }
}
