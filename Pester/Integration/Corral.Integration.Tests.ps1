# Integration tests: elevated, on a real Windows machine (Windows CI). They provision a private
# test installation (CORRAL_INSTANCE=ctestint: its own group, identities, firewall group and
# state folder), check the machine with the OS's own cmdlets, and uninstall — also when a test
# fails (AfterAll).
BeforeDiscovery {
    $script:isWindowsHost = [Environment]::OSVersion.Platform -eq 'Win32NT'
    $script:elevated = $false
    if ($script:isWindowsHost) {
        $script:elevated = ([System.Security.Principal.WindowsPrincipal][System.Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    }
    $script:skip = -not $script:elevated
}
BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
    $script:savedInstance = $env:CORRAL_INSTANCE
    $env:CORRAL_INSTANCE = 'ctestint'
    $script:user = $env:USERNAME
    $script:workspace = Join-Path ([System.IO.Path]::GetTempPath()) ("corral-int-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path (Join-Path $script:workspace '.git') -Force
}
AfterAll {
    if ($env:CORRAL_INSTANCE -eq 'ctestint') {
        try { Uninstall-Corral -Force | Out-Null } catch { Write-Warning "cleanup: $_" }
    }
    Remove-Item -LiteralPath $script:workspace -Recurse -Force -ErrorAction SilentlyContinue
    $env:CORRAL_INSTANCE = $script:savedInstance
}

Describe 'Corral provisioning on a real machine' -Tag 'Integration' {
    It 'provisions identities, firewall rules and ACLs (needs an elevated Windows session)' -Skip:$script:skip {
        $result = Install-Corral -User $script:user -Workspace $script:workspace -Network offline -Force
        $result.Changed | Should -BeTrue

        $offline = Get-CorralIdentityName -User $script:user -Network offline
        $online = Get-CorralIdentityName -User $script:user -Network online
        foreach ($name in $offline, $online) {
            $account = Get-LocalUser -Name $name -ErrorAction Stop
            $account.PasswordExpires | Should -BeNullOrEmpty
            $account.UserMayChangePassword | Should -BeFalse
            (Get-LocalGroupMember -Group 'ctestintSandboxUsers').SID.Value | Should -Contain $account.SID.Value
            (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList').$name | Should -Be 0
        }
        $offlineSid = (Get-LocalUser -Name $offline).SID.Value
        $rules = @(Get-NetFirewallRule -Group 'ctestint')
        $rules.Count | Should -BeGreaterOrEqual 2
        foreach ($rule in $rules) {
            "$($rule.Action)" | Should -Be 'Block'
            "$($rule.Direction)" | Should -Be 'Outbound'
            ($rule | Get-NetFirewallSecurityFilter).LocalUser | Should -Be "D:(A;;CC;;;$offlineSid)"
        }
        (Test-CorralFirewallEffective).Effective | Should -BeTrue

        $state = Get-CorralState
        $capability = @($state.Recorded['users'][$script:user]['workspaces'])[0]['capabilitySid']
        $capability | Should -Match '^S-1-5-21-'
        $acl = Get-Acl -LiteralPath $script:workspace
        $sids = $acl.Access | ForEach-Object { $_.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value }
        $sids | Should -Contain $capability
        # The user's own group: exactly the two identities; the workspace names it and the
        # capability SID, never an identity SID (a restricting SID of every session) nor the
        # machine-wide group (every developer's identities).
        $userGroup = Get-LocalGroup -Name ('ctes-grp-' + (Get-CorralIdentityName -User $script:user -Network offline).Substring('ctes-off-'.Length)) -ErrorAction Stop
        $userGroup.SID.Value | Should -Be $state.Recorded['users'][$script:user]['group']['sid']
        $identitySids = @($offline, $online | ForEach-Object { (Get-LocalUser -Name $_).SID.Value } | Sort-Object)
        @(Get-LocalGroupMember -Group $userGroup.Name | ForEach-Object { $_.SID.Value } | Sort-Object) | Should -Be $identitySids
        $explicit = @($acl.Access | Where-Object { -not $_.IsInherited } | ForEach-Object { $_.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value })
        $explicit | Should -Contain $userGroup.SID.Value
        foreach ($forbidden in @($identitySids) + @((Get-LocalGroup -Name 'ctestintSandboxUsers').SID.Value)) {
            $explicit | Should -Not -Contain $forbidden
        }
        $gitAcl = Get-Acl -LiteralPath (Join-Path $script:workspace '.git')
        @($gitAcl.Access | Where-Object { "$($_.AccessControlType)" -eq 'Deny' -and -not $_.IsInherited }).Count | Should -BeGreaterOrEqual 2
        Test-Path (Join-Path $env:ProgramData "ctestint\credentials\$($state.Recorded['users'][$script:user]['sid']).json") | Should -BeTrue
        $state.Drift | Should -BeNullOrEmpty
    }

    It 'changes nothing on a re-run (needs an elevated Windows session)' -Skip:$script:skip {
        $again = Install-Corral -User $script:user -Workspace $script:workspace -Network offline -Force
        $again.Changes | Should -BeNullOrEmpty
        $again.Changed | Should -BeFalse
    }

    It 'opens exactly the proxy port with -ProxyPort as blocks over the other ports, and closes it again (needs an elevated Windows session)' -Skip:$script:skip {
        $offline = Get-CorralIdentityName -User $script:user -Network offline
        $opened = New-CorralFirewallRule -User $script:user -ProxyPort 41733 -Force
        $opened.Changed | Should -BeTrue
        $tcp = Get-NetFirewallRule -Name "ctestint-$offline-loopback-tcp" -ErrorAction Stop
        "$($tcp.Action)" | Should -Be 'Block'
        $tcpPorts = $tcp | Get-NetFirewallPortFilter
        "$($tcpPorts.Protocol)" | Should -Be 'TCP'
        @($tcpPorts.RemotePort) -join ',' | Should -Be '1-41732,41734-65535'
        $udpPorts = Get-NetFirewallRule -Name "ctestint-$offline-loopback-udp" -ErrorAction Stop | Get-NetFirewallPortFilter
        "$($udpPorts.Protocol)" | Should -Be 'UDP'
        @($udpPorts.RemotePort) -join ',' | Should -Be 'Any'
        Get-NetFirewallRule -Name "ctestint-$offline-loopback" -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (New-CorralFirewallRule -User $script:user -ProxyPort 41733 -Force).Changed | Should -BeFalse
        $closed = New-CorralFirewallRule -User $script:user -Force
        $closed.Changed | Should -BeTrue
        Get-NetFirewallRule -Name "ctestint-$offline-loopback" -ErrorAction Stop | Should -Not -BeNullOrEmpty
        Get-NetFirewallRule -Name "ctestint-$offline-loopback-tcp" -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Test-CorralFirewallEffective).Effective | Should -BeTrue
    }

    It 'uninstalls without leaving users, rules, ACEs or files (needs an elevated Windows session)' -Skip:$script:skip {
        $before = Get-CorralState
        $capability = @($before.Recorded['users'][$script:user]['workspaces'])[0]['capabilitySid']
        $groupSid = $before.Found['group']['sid']
        $userGroup = $before.Found['users'][$script:user]['group']
        Uninstall-Corral -Force | Out-Null
        Get-LocalGroup -Name $userGroup['name'] -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-LocalUser -Name (Get-CorralIdentityName -User $script:user -Network offline) -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-LocalUser -Name (Get-CorralIdentityName -User $script:user -Network online) -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-LocalGroup -Name 'ctestintSandboxUsers' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @(Get-NetFirewallRule -Group 'ctestint' -ErrorAction SilentlyContinue).Count | Should -Be 0
        $sids = (Get-Acl -LiteralPath $script:workspace).Access | ForEach-Object { $_.IdentityReference.Value }
        $sids | Should -Not -Contain $capability
        $sids | Should -Not -Contain $groupSid
        $sids | Should -Not -Contain $userGroup['sid']
        Test-Path (Join-Path $env:ProgramData 'ctestint') | Should -BeFalse
    }
}
