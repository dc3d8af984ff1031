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
        Write-CorralTestState -State (New-CorralTestStateRecord)
        $script:ws = Join-Path $TestDrive 'ws'
        $null = New-Item -ItemType Directory -Path (Join-Path $script:ws '.git') -Force
        Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = [System.Security.Principal.SecurityIdentifier]'S-1-5-21-1-2-3-3001' } }
        Mock -ModuleName Corral Get-CorralOwnerSid { 'S-1-5-21-1-2-3-1001' }
        Mock -ModuleName Corral Add-CorralAce { [ordered]@{ path = $Path; sid = $Sid; rights = [int]$Rights; type = $Type } }
    }
    It 'records a capability SID, grants the root without delete-child, and protects .git' {
        $result = Grant-CorralWorkspace -User alice -Path $script:ws -Protected '.git', '.corral' -Force
        $result.CapabilitySid | Should -Match '^S-1-5-21-\d+-\d+-\d+-\d+$'
        $result.Unprotected | Should -Be @((Join-Path $script:ws '.corral'))
        $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
        $state.users.alice.workspaces[0].capabilitySid | Should -Be $result.CapabilitySid
        foreach ($sid in 'S-1-5-21-1-2-3-2001', 'S-1-5-21-1-2-3-2002', $result.CapabilitySid) {
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq $script:ws -and $Sid -eq $sid -and $Type -eq 'Allow' -and "$Inheritance" -eq 'None' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::Delete) -eq 0 -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::DeleteSubdirectoriesAndFiles) -eq 0
            }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq $script:ws -and $Sid -eq $sid -and "$Propagation" -eq 'InheritOnly' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::DeleteSubdirectoriesAndFiles) -eq 0
            }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Path -eq (Join-Path $script:ws '.git') -and $Sid -eq $sid -and $Type -eq 'Deny' -and
                ($Rights -band [System.Security.AccessControl.FileSystemRights]::Delete) -ne 0
            }
        }
    }
    It 'never grants the machine-wide sandbox group (another user''s identity must not write here)' {
        Grant-CorralWorkspace -User alice -Path $script:ws -Force | Out-Null
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Sid -eq 'S-1-5-21-1-2-3-3001' }
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
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 3 -Exactly -ParameterFilter { $Path -eq $target -and $Type -eq 'Deny' }
    }
    It 'refuses a workspace the user does not own (CorralWorkspaceNotOwned)' {
        Mock -ModuleName Corral Get-CorralOwnerSid { 'S-1-5-32-544' }
        { Grant-CorralWorkspace -User alice -Path $script:ws -Force } | Should -Throw -ErrorId 'CorralWorkspaceNotOwned*'
    }
    It 'refuses a missing folder or a drive root (CorralWorkspaceInvalid)' {
        { Grant-CorralWorkspace -User alice -Path (Join-Path $TestDrive 'nope') -Force } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
        { Grant-CorralWorkspace -User alice -Path 'C:\' -Force } | Should -Throw -ErrorId 'CorralWorkspaceInvalid*'
    }
}
