# The allowlist network's firewall port rule (issue 15 item 3) on the simulated Windows
# (test/windows-sim), in this process: the real Corral module with its Windows-only seams
# replaced, alice provisioned by the real Install-Corral, then New-CorralFirewallRule -ProxyPort.
# Each case asks the simulated firewall (Test-SimFirewallOutbound: a matching block rule wins,
# as on Windows) what the offline identity may reach, so it checks the rules' effect — one TCP
# port on loopback, nothing else — not only their text.
#
# What this proves: the rules the module writes, and the order it writes them in, give exactly
# that answer under the model of Windows Firewall's outbound decision. Whether Windows enforces
# it is Windows CI's part. The simulation needs PowerShell 7: on 5.1 these show as skipped.
BeforeDiscovery {
    $script:noSim = $PSVersionTable.PSEdition -ne 'Core'
}

BeforeAll {
    $script:repo = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $script:aliceSid = 'S-1-5-21-7000-8000-9000-1001'
    $script:saved = @{ ProgramData = $env:ProgramData; ProgramFiles = $env:ProgramFiles; CORRAL_INSTANCE = $env:CORRAL_INSTANCE; CORRAL_SIM_STATE = $env:CORRAL_SIM_STATE; CORRAL_SIM_IDENTITY = $env:CORRAL_SIM_IDENTITY; CORRAL_SIM_ELEVATED = $env:CORRAL_SIM_ELEVATED }
    $script:proxyPort = 41733

    function New-ProvisionedSim {
        param([int]$ProxyPort = 0)
        # A fresh machine with alice provisioned offline by the real Install-Corral (no proxy port
        # unless asked: the cases below open it themselves); returns her offline identity's SID.
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $root
        $env:ProgramData = Join-Path $root 'ProgramData'
        $env:ProgramFiles = Join-Path $root 'ProgramFiles'
        $null = New-Item -ItemType Directory -Path $env:ProgramData, $env:ProgramFiles
        $env:CORRAL_INSTANCE = 'ctestsim'
        $null = Initialize-CorralWindowsSim -StateFile (Join-Path $root 'machine.json') -Elevated -RealUsers @(@{ Name = 'alice'; Sid = $script:aliceSid; ProfilePath = (Join-Path $root 'Users/alice') })
        $module = Import-Module -Name (Join-Path $script:repo 'ps-module/Corral/Corral.psd1') -Force -PassThru -ErrorAction Stop
        Enable-CorralWindowsSim -Module $module
        $null = Install-Corral -User alice -Network offline -ProxyPort $ProxyPort -Force
        $state = Get-CorralWindowsSimState
        return @($state['users'].Values | Where-Object { $_['name'] -like '*-off-alice' })[0]['sid']
    }

    function Test-Reach([string]$Sid, [string]$Protocol, [string]$Address, [int]$Port) {
        (Test-SimFirewallOutbound -Sid $Sid -Protocol $Protocol -RemoteAddress $Address -RemotePort $Port).Allowed
    }

    if ($PSVersionTable.PSEdition -eq 'Core') {
        Import-Module -Name (Join-Path $script:repo 'test/windows-sim/CorralWindowsSim.psm1') -Global -Force
    }
}

AfterAll {
    foreach ($name in $script:saved.Keys) { Set-Item -LiteralPath "env:$name" -Value $script:saved[$name] -ErrorAction SilentlyContinue }
    Remove-Module -Name Corral -Force -ErrorAction SilentlyContinue
}

Describe 'New-CorralFirewallRule -ProxyPort on the simulated Windows' -Tag 'WindowsSim' {
    It 'before: the offline identity reaches nothing, loopback included (control for the cases below)' -Skip:$script:noSim {
        $sid = New-ProvisionedSim
        Test-Reach $sid 'TCP' '127.0.0.1' $script:proxyPort | Should -BeFalse
        Test-Reach $sid 'TCP' '10.1.2.3' 443 | Should -BeFalse
        # The model is not "block everything": alice herself is not confined.
        Test-Reach $script:aliceSid 'TCP' '127.0.0.1' $script:proxyPort | Should -BeTrue
    }

    It 'opens exactly the proxy port: TCP to 127.0.0.1 and [::1] on it, nothing else on loopback or beyond' -Skip:$script:noSim {
        $sid = New-ProvisionedSim
        $result = New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -Force
        $result.Changed | Should -BeTrue
        Test-Reach $sid 'TCP' '127.0.0.1' $script:proxyPort | Should -BeTrue
        Test-Reach $sid 'TCP' '::1' $script:proxyPort | Should -BeTrue
        foreach ($port in @(1, ($script:proxyPort - 1), ($script:proxyPort + 1), 65535, 3128, 445)) {
            Test-Reach $sid 'TCP' '127.0.0.1' $port | Should -BeFalse -Because "TCP loopback port $port is not the proxy's"
        }
        Test-Reach $sid 'UDP' '127.0.0.1' $script:proxyPort | Should -BeFalse -Because 'the proxy is TCP only'
        Test-Reach $sid 'UDP' '127.0.0.53' 53 | Should -BeFalse
        Test-Reach $sid 'TCP' '127.8.9.10' $script:proxyPort | Should -BeTrue -Because 'all of 127/8 is loopback'
        foreach ($address in @('10.1.2.3', '192.168.1.1', '::ffff:127.0.0.1', 'fe80::1', '2001:db8::1')) {
            Test-Reach $sid 'TCP' $address $script:proxyPort | Should -BeFalse -Because "$address is not loopback"
        }
    }

    It 'is fail-closed while it changes: the new rules exist before the block-all loopback rule goes' -Skip:$script:noSim {
        $null = New-ProvisionedSim
        $before = @((Get-CorralWindowsSimState)['changes']).Count
        $null = New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -Force
        $log = @(@((Get-CorralWindowsSimState)['changes']) | Select-Object -Skip $before)
        $index = { param($pattern) for ($i = 0; $i -lt $log.Count; $i++) { if ($log[$i] -match $pattern) { return $i } }; return -1 }
        $tcp = & $index 'new firewall rule \S+-loopback-tcp$'
        $udp = & $index 'new firewall rule \S+-loopback-udp$'
        $removed = & $index 'remove firewall rule \S+-loopback$'
        $tcp | Should -BeGreaterOrEqual 0
        $udp | Should -BeGreaterOrEqual 0
        $removed | Should -BeGreaterThan ([Math]::Max($tcp, $udp))
    }

    It 'is idempotent, and moving or closing the port leaves no opening behind' -Skip:$script:noSim {
        $sid = New-ProvisionedSim
        $null = New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -Force
        (New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -Force).Changed | Should -BeFalse
        $null = New-CorralFirewallRule -User alice -ProxyPort ($script:proxyPort + 7) -Force
        Test-Reach $sid 'TCP' '127.0.0.1' ($script:proxyPort + 7) | Should -BeTrue
        Test-Reach $sid 'TCP' '127.0.0.1' $script:proxyPort | Should -BeFalse -Because 'the old port is closed again'
        # With other loopback ports allowed too, then back to none: UDP loses its port filter again.
        $null = New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -LoopbackPort 5432 -Force
        Test-Reach $sid 'UDP' '127.0.0.1' 5432 | Should -BeTrue
        $null = New-CorralFirewallRule -User alice -ProxyPort $script:proxyPort -Force
        Test-Reach $sid 'UDP' '127.0.0.1' 5432 | Should -BeFalse -Because 'a UDP rule narrowed before must block every port again'
        Test-Reach $sid 'TCP' '127.0.0.1' 5432 | Should -BeFalse
        $null = New-CorralFirewallRule -User alice -Force
        Test-Reach $sid 'TCP' '127.0.0.1' $script:proxyPort | Should -BeFalse -Because 'no proxy port: loopback blocked whole again'
        @((Get-CorralWindowsSimState)['firewall']['rules'].Keys | Where-Object { $_ -like '*-loopback-*' }) | Should -BeNullOrEmpty
    }

    It 'Install-Corral opens its default proxy port 41817, and Test-CorralFirewallEffective finds a rule edited by hand (status drift)' -Skip:$script:noSim {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $root
        $env:ProgramData = Join-Path $root 'ProgramData'
        $env:ProgramFiles = Join-Path $root 'ProgramFiles'
        $null = New-Item -ItemType Directory -Path $env:ProgramData, $env:ProgramFiles
        $null = Initialize-CorralWindowsSim -StateFile (Join-Path $root 'machine.json') -Elevated -RealUsers @(@{ Name = 'alice'; Sid = $script:aliceSid; ProfilePath = (Join-Path $root 'Users/alice') })
        $module = Import-Module -Name (Join-Path $script:repo 'ps-module/Corral/Corral.psd1') -Force -PassThru -ErrorAction Stop
        Enable-CorralWindowsSim -Module $module
        $null = Install-Corral -User alice -Network offline -Force
        $sid = @((Get-CorralWindowsSimState)['users'].Values | Where-Object { $_['name'] -like '*-off-alice' })[0]['sid']
        Test-Reach $sid 'TCP' '127.0.0.1' 41817 | Should -BeTrue
        Test-Reach $sid 'TCP' '127.0.0.1' 41818 | Should -BeFalse
        (Test-CorralFirewallEffective -User alice -NoThrow).Effective | Should -BeTrue
        # A second install keeps the recorded port and changes nothing.
        (Install-Corral -User alice -Network offline -Force).Changed | Should -BeFalse
        # Someone narrows the TCP block by hand so that another loopback port opens: drift.
        $tcp = @((Get-CorralWindowsSimState)['firewall']['rules'].Keys | Where-Object { $_ -like '*-loopback-tcp' })[0]
        Set-NetFirewallRule -Name $tcp -RemotePort '1-5000', '41818-65535'
        Test-Reach $sid 'TCP' '127.0.0.1' 6000 | Should -BeTrue -Because 'the hand edit opened it (control: the drift is real)'
        $facts = Test-CorralFirewallEffective -User alice -NoThrow
        $facts.Effective | Should -BeFalse
        $facts.Reasons -join ' ' | Should -Match 'loopback-tcp does not match the recorded rule set'
        # Setup's call again repairs it.
        $null = New-CorralFirewallRule -User alice -ProxyPort 41817 -Force
        (Test-CorralFirewallEffective -User alice -NoThrow).Effective | Should -BeTrue
        Test-Reach $sid 'TCP' '127.0.0.1' 6000 | Should -BeFalse
    }
}
