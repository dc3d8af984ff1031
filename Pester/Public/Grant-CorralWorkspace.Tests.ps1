Describe 'Grant-CorralWorkspace (module)' {
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
    Describe 'Grant-CorralWorkspace' {
        BeforeEach {
            # alice's own group ctes-grp-alice (S-...-3100) is recorded and exists; the machine-wide
            # sandbox group is S-...-3001; her identities are S-...-2001 and S-...-2002.
            $record = New-CorralTestStateRecord
            $record.users.alice.group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1-2-3-3100' }
            Write-CorralTestState -State $record
            $script:ws = Join-Path $TestDrive 'ws'
            $null = New-Item -ItemType Directory -Path (Join-Path $script:ws '.git') -Force
            Mock -ModuleName Corral Get-LocalGroup {
                switch ($Name) {
                    'ctes-grp-alice' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3100') } }
                    'ctestunitSandboxUsers' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
                }
            }
            Mock -ModuleName Corral Get-CorralOwnerSid { 'S-1-5-21-1-2-3-1001' }
            Mock -ModuleName Corral Add-CorralAce { [ordered]@{ path = $Path; sid = $Sid; rights = [int]$Rights; type = $Type } }
        }
        It 'records a capability SID, grants the root without delete-child to <Who>, and protects .git from it' -ForEach @(
            @{ Who = 'the user''s own group'; Expected = 'group' }
            @{ Who = 'the capability SID'; Expected = 'capability' }
        ) {
            $result = Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git', '.corral' -Force
            $result.CapabilitySid | Should -Match '^S-1-5-21-\d+-\d+-\d+-\d+$'
            $result.Unprotected | Should -Be @((Join-Path $script:ws '.corral'))
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            $state.users.alice.workspaces[0].capabilitySid | Should -Be $result.CapabilitySid
            # Not $sid: PowerShell names are case-insensitive, and $Sid is the filter's own parameter.
            $expectedSid = if ($Expected -eq 'group') { 'S-1-5-21-1-2-3-3100' } else { $result.CapabilitySid }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq $script:ws -and $Sid -eq $expectedSid -and $Type -eq 'Allow' -and "$Inheritance" -eq 'None' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::Delete) -eq 0 -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::DeleteSubdirectoriesAndFiles) -eq 0
            }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq $script:ws -and $Sid -eq $expectedSid -and "$Propagation" -eq 'InheritOnly' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::DeleteSubdirectoriesAndFiles) -eq 0
            }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq (Join-Path $script:ws '.git') -and $Sid -eq $expectedSid -and $Type -eq 'Deny' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::Delete) -ne 0
            }
        }
        It 'names exactly two SIDs: the user''s group and the capability SID' {
            $result = Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git' -Force
            $named = @($result.AcesAdded | ForEach-Object { $_['sid'] } | Sort-Object -Unique)
            $named | Should -Be (@('S-1-5-21-1-2-3-3100', $result.CapabilitySid) | Sort-Object)
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 6 -Exactly
        }
        It 'never names an identity SID (a session for another workspace of alice could write here) nor the machine-wide group (another user''s identity could)' {
            Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git' -Force | Out-Null
            foreach ($forbidden in 'S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002', 'S-1-5-21-1-2-3-3001') {
                Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Sid -eq $forbidden }
            }
        }
        It 'removes exactly the journaled ACEs of an older grant that name other SIDs, after adding the new ones' {
            $scope = 'workspace:' + (Get-Item -LiteralPath $script:ws).FullName.TrimEnd('\').ToLowerInvariant()
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'old-id'; kind = 'ace'; scope = $scope; undo = @{ path = $script:ws; sid = 'S-1-5-21-1-2-3-2001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'old-grp'; kind = 'ace'; scope = $scope; undo = @{ path = $script:ws; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Deny'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'current'; kind = 'ace'; scope = $scope; undo = @{ path = $script:ws; sid = 'S-1-5-21-1-2-3-3100'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'elsewhere'; kind = 'ace'; scope = 'workspace:c:\other'; undo = @{ path = 'C:\other'; sid = 'S-1-5-21-1-2-3-2001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            $script:undone = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Undo-CorralJournalEntry { $script:undone.Add($Entry['id']) }
            $result = Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git' -Force
            $script:undone | Should -Be @('old-grp', 'old-id')
            $result.Changes -join "`n" | Should -Match 'removed 2 ACEs of an earlier grant'
        }
        It 'refuses when the user''s own group is not recorded (CorralNotProvisioned), never falling back to another SID' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            { Grant-CorralWorkspace -User alice -Path $script:ws -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly
        }
        It 'refuses when the recorded group has another SID on the machine (CorralNotProvisioned)' {
            Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-9-9-9-3100') } }
            { Grant-CorralWorkspace -User alice -Path $script:ws -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly
        }
        It 'reuses the recorded capability SID on a re-run' {
            $first = Grant-CorralWorkspace -User alice -Path $script:ws -Force
            $second = Grant-CorralWorkspace -User alice -Path $script:ws -Force
            $second.CapabilitySid | Should -Be $first.CapabilitySid
        }
        It 'protects the folder a gitdir file names' {
            Remove-Item -LiteralPath (Join-Path $script:ws '.git') -Recurse -Force
            $target = Join-Path $TestDrive 'main.git\worktrees\ws'
            $null = New-Item -ItemType Directory -Path $target -Force
            Set-Content -LiteralPath (Join-Path $script:ws '.git') -Value "gitdir: $target"
            Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git' -Force | Out-Null
            # One deny ACE each for the user's group and the capability SID.
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 2 -Exactly -ParameterFilter { $Path -eq $target -and $Type -eq 'Deny' }
        }
        It 'refuses a workspace the user does not own (CorralWorkspaceNotOwned)' {
            Mock -ModuleName Corral Get-CorralOwnerSid { 'S-1-5-32-544' }
            { Grant-CorralWorkspace -User alice -Path $script:ws -Force } | Should -Throw -ErrorId 'CorralWorkspaceNotOwned*'
        }
        It 'refuses a missing folder or a drive root (CorralWorkspaceInvalid)' {
            { Grant-CorralWorkspace -User alice -Path (Join-Path $TestDrive 'nope') -Force } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
            { Grant-CorralWorkspace -User alice -Path 'C:\' -Force } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
        }
        Context 'the identities'' own profile folders for the workspace' {
            BeforeEach {
                # The offline identity (S-...-2001) has a profile; the online one (S-...-2002) none yet.
                $script:offlineProfile = Join-Path $TestDrive "Users-$([guid]::NewGuid().ToString('n').Substring(0, 6))/ctes-off-alice"
                $null = New-Item -ItemType Directory -Path $script:offlineProfile -Force
                Mock -ModuleName Corral Get-CorralProfilePath { if ($Sid -eq 'S-1-5-21-1-2-3-2001') { $script:offlineProfile } else { $null } }
                Mock -ModuleName Corral Set-CorralFileAcl { }
            }
            It 'makes them for each identity with a profile, named after the recorded path, writable through the workspace''s capability SID' {
                $result = Grant-CorralWorkspace -User alice -Path $script:ws -Force
                $name = InModuleScope Corral -Parameters @{ P = $result.Path } { param($P) Get-CorralWorkspaceProfileName -Path $P }
                $expected = Join-Path (Join-Path $script:offlineProfile 'corral-ws') $name
                $result.Profiles | Should -Be @($expected)
                foreach ($sub in 'AppData/Roaming', 'AppData/Local', 'Temp') { Join-Path $expected $sub | Should -Exist }
                Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                    $Path -eq $expected -and @($Aces | Where-Object { $_['sid'] -eq $result.CapabilitySid }).Count -eq 1 -and @($Aces | Where-Object { $_['sid'] -eq 'S-1-5-21-1-2-3-2001' }).Count -eq 1
                }
                $result.Changes -join "`n" | Should -Match 'profile folders'
                $result.Changed | Should -BeTrue
            }
            It 'makes none with -WhatIf' {
                $null = Grant-CorralWorkspace -User alice -Path $script:ws -Force -WhatIf
                Join-Path $script:offlineProfile 'corral-ws' | Should -Not -Exist
                Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 0 -Exactly
            }
        }
    }
}
