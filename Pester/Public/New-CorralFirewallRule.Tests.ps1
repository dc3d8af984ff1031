Describe 'New-CorralFirewallRule (module)' {
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
    Describe 'New-CorralFirewallRule' {
        BeforeEach {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Mock -ModuleName Corral New-NetFirewallRule { return }
            Mock -ModuleName Corral Set-NetFirewallRule { return }
            Mock -ModuleName Corral Test-CorralFirewallEffective { [pscustomobject]@{ Effective = $true } }
        }
        It 'creates outbound block rules scoped to the offline identity SID, non-loopback and loopback' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            $result = New-CorralFirewallRule -User alice -Force
            $result.Changed | Should -BeTrue
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctestunit-ctes-off-alice-remote' -and $Group -eq 'ctestunit' -and $Direction -eq 'Outbound' -and $Action -eq 'Block' -and
                $LocalUser -eq 'D:(A;;CC;;;S-1-5-21-1-2-3-2001)' -and $Protocol -eq 'Any' -and
                ($RemoteAddress -join ',') -eq '0.0.0.0-126.255.255.255,128.0.0.0-255.255.255.255,::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
            }
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctestunit-ctes-off-alice-loopback' -and ($RemoteAddress -join ',') -eq '127.0.0.0-127.255.255.255,::1'
            }
            Should -Invoke Test-CorralFirewallEffective -ModuleName Corral -Times 1 -Exactly
        }
        It 'blocks every loopback port but the allowed ones' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            New-CorralFirewallRule -User alice -LoopbackPort 5432, 80 -Force | Out-Null
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctestunit-ctes-off-alice-loopback-tcp' -and $Protocol -eq 'TCP' -and ($RemotePort -join ',') -eq '1-79,81-5431,5433-65535'
            }
        }
        It '-ProxyPort: TCP to loopback blocked on every port but the proxy''s, UDP to loopback blocked whole' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            New-CorralFirewallRule -User alice -ProxyPort 3128 -Force | Out-Null
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctestunit-ctes-off-alice-loopback-tcp' -and $Protocol -eq 'TCP' -and $Action -eq 'Block' -and ($RemotePort -join ',') -eq '1-3127,3129-65535' -and
                $LocalUser -eq 'D:(A;;CC;;;S-1-5-21-1-2-3-2001)'
            }
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
                $Name -eq 'ctestunit-ctes-off-alice-loopback-udp' -and $Protocol -eq 'UDP' -and $Action -eq 'Block' -and -not $PSBoundParameters.ContainsKey('RemotePort')
            }
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Name -eq 'ctestunit-ctes-off-alice-loopback' }
        }
        It '-ProxyPort re-applied over a UDP rule that had ports clears its port filter (RemotePort Any)' {
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $Spec.Protocol -ne 'UDP' }
            New-CorralFirewallRule -User alice -ProxyPort 3128 -Force | Out-Null
            Should -Invoke Set-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctestunit-ctes-off-alice-loopback-udp' -and $RemotePort -eq 'Any' }
        }
        It 'changes nothing when the rules exist as specified (and are recorded)' {
            $state = New-CorralTestStateRecord
            $state['users']['alice']['firewall'] = @{ proxyPort = 0; loopbackPorts = @() }
            Write-CorralTestState -State $state
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $true }
            (New-CorralFirewallRule -User alice -Force).Changed | Should -BeFalse
            Should -Invoke New-NetFirewallRule -ModuleName Corral -Times 0 -Exactly
            Should -Invoke Set-NetFirewallRule -ModuleName Corral -Times 0 -Exactly
        }
        It 'records the proxy port and loopback ports for the user, once' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            $first = New-CorralFirewallRule -User alice -ProxyPort 41817 -LoopbackPort 6379, 5432 -Force
            $first.ProxyPort | Should -Be 41817
            $first.Changes -join ' ' | Should -Match 'recorded the firewall''s proxy port 41817'
            $recorded = (Get-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json).users.alice.firewall
            $recorded.proxyPort | Should -Be 41817
            ($recorded.loopbackPorts -join ',') | Should -Be '5432,6379'
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Test-CorralFirewallRuleMatch { $true }
            (New-CorralFirewallRule -User alice -ProxyPort 41817 -LoopbackPort 5432, 6379 -Force).Changed | Should -BeFalse
            (New-CorralFirewallRule -User alice -LoopbackPort 5432, 6379 -Force).Changes -join ' ' | Should -Match 'proxy port 0'
            (Get-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json).users.alice.firewall.proxyPort | Should -Be 0
        }
        It '-WhatIf records nothing' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            New-CorralFirewallRule -User alice -ProxyPort 41817 -WhatIf | Out-Null
            (Get-Content -LiteralPath (Join-Path $env:ProgramData 'ctestunit\state.json') -Raw | ConvertFrom-Json).users.alice.PSObject.Properties.Name | Should -Not -Contain 'firewall'
        }
        It 'fails closed when the firewall is ineffective' {
            Mock -ModuleName Corral Get-NetFirewallRule { $null }
            Mock -ModuleName Corral Test-CorralFirewallEffective { throw [System.Management.Automation.ErrorRecord]::new([Exception]::new('gpo'), 'CorralFirewallIneffective', 'SecurityError', $null) }
            { New-CorralFirewallRule -User alice -Force } | Should -Throw -ErrorId 'CorralFirewallIneffective*'
        }
    }
}
