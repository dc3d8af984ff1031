Describe 'Install-Corral (module)' {
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
    Describe 'Install-Corral' {
        BeforeEach {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral Install-CorralGroup { [pscustomobject]@{ Name = 'g'; Sid = 'S-1-5-21-1-2-3-3001'; Changed = $false } }
            Mock -ModuleName Corral New-CorralIdentity { [pscustomobject]@{ Changed = $false; Changes = @() } }
            Mock -ModuleName Corral New-CorralFirewallRule { [pscustomobject]@{ Changed = $false; Changes = @() } }
            Mock -ModuleName Corral Install-CorralRunner { [pscustomobject]@{ Changed = $false; Dir = 'd' } }
            Mock -ModuleName Corral Grant-CorralWorkspace { [pscustomobject]@{ Changed = $false; Changes = @() } }
            Mock -ModuleName Corral Grant-CorralTraverse { [pscustomobject]@{ Changed = $false; AcesAdded = @() } }
        }
        It 'runs every step with the user''s values and says so when nothing changed' {
            $result = Install-Corral -User alice -Workspace 'C:\src\app' -Network offline -LoopbackPort 8080 -Force
            $result.Changed | Should -BeFalse
            $result.Summary | Should -Match '^No changes'
            Should -Invoke New-CorralIdentity -ModuleName Corral -Times 2 -Exactly -ParameterFilter { $User -eq 'alice' }
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $LoopbackPort -contains 8080 }
            Should -Invoke Grant-CorralWorkspace -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq 'C:\src\app' }
            Should -Invoke Install-CorralRunner -ModuleName Corral -Times 0 -Exactly
        }
        It 'gives the firewall the proxy port: 41817 by default, the recorded one on a re-run, the one asked for' {
            Install-Corral -User alice -Force | Out-Null
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $ProxyPort -eq 41817 }
            $state = New-CorralTestStateRecord
            $state['users']['alice']['firewall'] = @{ proxyPort = 42000; loopbackPorts = @() }
            Write-CorralTestState -State $state
            Install-Corral -User alice -Force | Out-Null
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $ProxyPort -eq 42000 }
            Install-Corral -User alice -ProxyPort 43000 -Force | Out-Null
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $ProxyPort -eq 43000 }
            { Install-Corral -User alice -ProxyPort 80 -Force } | Should -Throw
        }
        It '-WhatIf before the identities exist: plans no grant ACE by ACE, still checks each workspace, writes nothing' {
            $state = New-CorralTestStateRecord
            $state['users'] = @{}
            Write-CorralTestState -State $state
            Mock -ModuleName Corral Resolve-CorralWorkspacePath { $Path }
            $result = Install-Corral -User alice -Workspace 'C:\src\app' -Network offline -WhatIf
            $result.Changed | Should -BeFalse
            Should -Invoke Resolve-CorralWorkspacePath -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq 'C:\src\app' -and $OwnerSid -eq 'S-1-5-21-1-2-3-1001' }
            Should -Invoke Grant-CorralWorkspace -ModuleName Corral -Times 0 -Exactly
            Should -Invoke Grant-CorralTraverse -ModuleName Corral -Times 0 -Exactly
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 0 -Exactly
        }
        It '-WhatIf before the identities exist: an invalid workspace is the same error a real run gives' {
            $state = New-CorralTestStateRecord
            $state['users'] = @{}
            Write-CorralTestState -State $state
            Mock -ModuleName Corral Resolve-CorralWorkspacePath { throw [System.Management.Automation.ErrorRecord]::new([Exception]::new('not owned'), 'CorralWorkspaceNotOwned', 'PermissionDenied', $Path) }
            { Install-Corral -User alice -Workspace 'C:\src\app' -WhatIf } | Should -Throw -ErrorId 'CorralWorkspaceNotOwned'
        }
        It 'reports the changes the steps made' {
            Mock -ModuleName Corral New-CorralIdentity { [pscustomobject]@{ Changed = $true; Changes = @("created user x-$Network") } }
            $result = Install-Corral -User alice -Network online -Force
            $result.Changed | Should -BeTrue
            $result.Changes | Should -Contain 'created user x-offline'
            $result.Changes | Should -Contain 'default network of alice set to online'
        }
    }
}
