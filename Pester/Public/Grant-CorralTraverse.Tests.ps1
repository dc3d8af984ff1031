Describe 'Grant-CorralTraverse (module)' {
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
    Describe 'Grant-CorralTraverse' {
        BeforeEach {
            $script:profileDir = Join-Path $TestDrive 'Users\alice'
            foreach ($d in '.cargo', '.ssh', 'src\app') { $null = New-Item -ItemType Directory -Path (Join-Path $script:profileDir $d) -Force }
            Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = 'alice'; Sid = 'S-1-5-21-1-2-3-1001'; Profile = $script:profileDir } }
            $record = New-CorralTestStateRecord
            $record.users.alice.group = @{ name = 'ctes-grp-alice'; sid = 'S-1-5-21-1-2-3-3100' }
            Write-CorralTestState -State $record
            Mock -ModuleName Corral Get-LocalGroup {
                switch ($Name) {
                    'ctes-grp-alice' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3100') } }
                    'ctestunitSandboxUsers' { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
                }
            }
            Mock -ModuleName Corral Add-CorralAce { [ordered]@{ path = $Path; sid = $Sid } }
        }
        It 'names only the user''s own group (never the machine-wide group, never an identity SID)' {
            $result = Grant-CorralTraverse -User alice -Workspace (Join-Path $script:profileDir 'src\app') -Toolchain '.cargo' -DenyRead '~\.ssh' -Force
            $result.AcesAdded.Count | Should -BeGreaterThan 0
            Should -Invoke Add-CorralAce -ModuleName Corral -Times $result.AcesAdded.Count -Exactly -ParameterFilter { $Sid -eq 'S-1-5-21-1-2-3-3100' }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Sid -ne 'S-1-5-21-1-2-3-3100' }
        }
        It 'removes the journaled traverse ACEs of an older install that named the machine-wide group' {
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'old'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = $script:profileDir; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'new'; kind = 'ace'; scope = 'traverse:alice'; undo = @{ path = $script:profileDir; sid = 'S-1-5-21-1-2-3-3100'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'bob'; kind = 'ace'; scope = 'traverse:bob'; undo = @{ path = 'C:\Users\bob'; sid = 'S-1-5-21-1-2-3-3001'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            $script:undone = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Undo-CorralJournalEntry { $script:undone.Add($Entry['id']) }
            $result = Grant-CorralTraverse -User alice -Workspace (Join-Path $script:profileDir 'src\app') -Toolchain '.cargo' -Force
            $script:undone | Should -Be @('old')
            $result.StaleRemoved | Should -Be 1
            $result.Changed | Should -BeTrue
        }
        It 'refuses without the user''s own group recorded (CorralNotProvisioned)' {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            { Grant-CorralTraverse -User alice -Workspace (Join-Path $script:profileDir 'src\app') -Force } | Should -Throw -ErrorId 'CorralNotProvisioned*'
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly
        }
        It 'adds this-folder-only traverse on ancestors, inherited read on toolchains, nothing on denyRead paths' {
            $result = Grant-CorralTraverse -User alice -Workspace (Join-Path $script:profileDir 'src\app') -Toolchain '.cargo', '.ssh' -DenyRead '~\.ssh' -Force
            $result.Skipped | Should -Contain (Join-Path $script:profileDir '.ssh')
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq (Join-Path $script:profileDir 'src') -and "$Inheritance" -eq 'None' -and ($Rights -band [System.Security.AccessControl.FileSystemRights]::ReadData) -eq 0 }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq $script:profileDir }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq (Join-Path $script:profileDir '.cargo') -and "$Inheritance" -eq 'ContainerInherit, ObjectInherit' }
            Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Path -like (Join-Path $script:profileDir '.ssh*') }
        }
    }
}
