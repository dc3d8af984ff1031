Describe 'Revoke-CorralWorkspace (module)' {
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
    Describe 'Revoke-CorralWorkspace' {
        It 'removes exactly the ACEs journaled for that workspace and forgets it' {
            $app = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/app'))
            $other = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/other'))
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = $app; capabilitySid = 'S-1-5-21-4-5-6-7' }, @{ path = $other; capabilitySid = 'S-1-5-21-4-5-6-8' })
            Write-CorralTestState -State $record
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a1'; kind = 'ace'; scope = "workspace:$($app.ToLowerInvariant())"; undo = @{ path = $app; sid = 'S-1-5-21-4-5-6-7'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'a2'; kind = 'ace'; scope = "workspace:$($other.ToLowerInvariant())"; undo = @{ path = $other; sid = 'S-1-5-21-4-5-6-8'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            Mock -ModuleName Corral Remove-CorralAce { return }
            (Revoke-CorralWorkspace -User alice -Path $app -Force).AcesRemoved | Should -Be 1
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Undo['path'] -eq $app -and $Undo['sid'] -eq 'S-1-5-21-4-5-6-7' }
            $state = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
            @($state.users.alice.workspaces).path | Should -Be @($other)
        }
        It 'removes both identities'' profile folders of that workspace (named after the recorded spelling), and no other workspace''s' {
            $app = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/App'))
            $other = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/other'))
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = $app; capabilitySid = 'S-1-5-21-4-5-6-7' }, @{ path = $other; capabilitySid = 'S-1-5-21-4-5-6-8' })
            Write-CorralTestState -State $record
            $profiles = @{ 'S-1-5-21-1-2-3-2001' = (Join-Path $TestDrive 'Users/ctes-off-alice'); 'S-1-5-21-1-2-3-2002' = (Join-Path $TestDrive 'Users/ctes-on-alice') }
            Mock -ModuleName Corral Get-CorralProfilePath { $profiles[$Sid] }
            $folder = { param($p, $w) Join-Path (Join-Path $p 'corral-ws') (InModuleScope Corral -Parameters @{ W = $w } { param($W) Get-CorralWorkspaceProfileName -Path $W }) }
            foreach ($p in $profiles.Values) {
                foreach ($w in $app, $other) { $null = New-Item -ItemType Directory -Path (Join-Path (& $folder $p $w) 'AppData/Roaming') -Force }
            }
            # Asked with another case spelling than the one recorded: Windows paths compare without case.
            $result = Revoke-CorralWorkspace -User alice -Path ($app.Substring(0, $app.Length - 3) + 'app') -Force
            $result.ProfilesRemoved | Should -Be 2
            foreach ($p in $profiles.Values) {
                & $folder $p $app | Should -Not -Exist
                & $folder $p $other | Should -Exist
            }
        }
        It 'removes profile folders a revoke left behind even when the workspace is no longer recorded' {
            $gone = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/gone'))
            Write-CorralTestState -State (New-CorralTestStateRecord)
            $offline = Join-Path $TestDrive 'Users2/ctes-off-alice'
            Mock -ModuleName Corral Get-CorralProfilePath { if ($Sid -eq 'S-1-5-21-1-2-3-2001') { $offline } }
            $left = Join-Path (Join-Path $offline 'corral-ws') (InModuleScope Corral -Parameters @{ W = $gone } { param($W) Get-CorralWorkspaceProfileName -Path $W })
            $null = New-Item -ItemType Directory -Path $left -Force
            (Revoke-CorralWorkspace -User alice -Path $gone -Force).ProfilesRemoved | Should -Be 1
            $left | Should -Not -Exist
        }
        It 'writes the state without the workspace first (the runner then refuses new sessions in it), removes the profile folders, and undoes the ACEs last' {
            $app = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/app'))
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = $app; capabilitySid = 'S-1-5-21-4-5-6-7' })
            Write-CorralTestState -State $record
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a1'; kind = 'ace'; scope = "workspace:$($app.ToLowerInvariant())"; undo = @{ path = $app; sid = 'S-1-5-21-4-5-6-7'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            $offline = Join-Path $TestDrive 'Users4/ctes-off-alice'
            Mock -ModuleName Corral Get-CorralProfilePath { if ($Sid -eq 'S-1-5-21-1-2-3-2001') { $offline } }
            $folder = Join-Path (Join-Path $offline 'corral-ws') (InModuleScope Corral -Parameters @{ W = $app } { param($W) Get-CorralWorkspaceProfileName -Path $W })
            $null = New-Item -ItemType Directory -Path $folder -Force
            $script:seen = $null
            $script:folderLeft = $null
            Mock -ModuleName Corral Remove-CorralAce {
                $script:seen = Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json
                $script:folderLeft = Test-Path -LiteralPath $folder
            }
            $null = Revoke-CorralWorkspace -User alice -Path $app -Force
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly
            @($script:seen.users.alice.workspaces | Where-Object { $_ }).Count | Should -Be 0
            $script:folderLeft | Should -BeFalse
        }
        It 'refuses while a process runs as one of the identities (CorralWorkspaceInUse): state, ACEs and folders unchanged' {
            $app = [System.IO.Path]::GetFullPath((Join-Path $TestDrive 'src/app'))
            $record = New-CorralTestStateRecord
            $record.users.alice.workspaces = @(@{ path = $app; capabilitySid = 'S-1-5-21-4-5-6-7' })
            Write-CorralTestState -State $record
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'a1'; kind = 'ace'; scope = "workspace:$($app.ToLowerInvariant())"; undo = @{ path = $app; sid = 'S-1-5-21-4-5-6-7'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
            )
            $offline = Join-Path $TestDrive 'Users3/ctes-off-alice'
            Mock -ModuleName Corral Get-CorralProfilePath { if ($Sid -eq 'S-1-5-21-1-2-3-2001') { $offline } }
            $folder = Join-Path (Join-Path $offline 'corral-ws') (InModuleScope Corral -Parameters @{ W = $app } { param($W) Get-CorralWorkspaceProfileName -Path $W })
            $null = New-Item -ItemType Directory -Path $folder -Force
            Mock -ModuleName Corral Get-CorralIdentityProcess { if ($Name -eq 'ctes-on-alice') { 4242 } }
            Mock -ModuleName Corral Remove-CorralAce { return }
            $caught = $null
            try { Revoke-CorralWorkspace -User alice -Path $app -Force } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Match '^CorralWorkspaceInUse'
            $caught.Exception.Message | Should -Match '4242'
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 0 -Exactly
            $folder | Should -Exist
            (Get-Content (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json).users.alice.workspaces.path | Should -Be $app
        }
    }
}
