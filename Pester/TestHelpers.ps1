# Shared set-up for the Pester tests of ps-module/Corral (dot-sourced from BeforeAll blocks).
# Unit tests never touch the machine's real Corral: the state folder is redirected into
# Pester's TestDrive by pointing $env:ProgramData there, and the installation is a private
# test instance (CORRAL_INSTANCE), the same mechanism the TypeScript tests use.
#
# On PowerShell 7 the simulated Windows (test/windows-sim/CorralWindowsSim.psm1) is loaded too:
# it defines the LocalAccounts and NetSecurity commands (so they exist to be mocked on any OS)
# and replaces the module's Windows-only seams with its stateful stand-ins. Each test gets a
# fresh simulated machine in its TestDrive (Enter-CorralTestState). Tests that need the real
# Windows behaviour carry the tag 'Windows' and are skipped elsewhere (-Skip:(-not $IsWindowsHost)).

$script:IsWindowsHost = [System.Environment]::OSVersion.Platform -eq 'Win32NT'
$script:WindowsOnlyReason = 'needs Windows (the real LocalAccounts, ACL, registry or DPAPI APIs)'

function Import-CorralTestModule {
    param([switch]$WithoutSim)
    $manifest = Join-Path $PSScriptRoot '..\ps-module\Corral\Corral.psd1'
    $module = Import-Module -Name $manifest -Force -PassThru -ErrorAction Stop
    if (-not $WithoutSim -and $PSVersionTable.PSEdition -eq 'Core') {
        Import-Module -Name (Join-Path $PSScriptRoot '..\test\windows-sim\CorralWindowsSim.psm1') -Force -Global -ErrorAction Stop
        Enable-CorralWindowsSim -Module $module
    }
}

function Enter-CorralTestState {
    param([Parameter(Mandatory)][string]$Root)
    $script:SavedProgramData = $env:ProgramData
    $script:SavedInstance = $env:CORRAL_INSTANCE
    $script:SavedProgramFiles = $env:ProgramFiles
    $env:ProgramData = Join-Path $Root 'ProgramData'
    # TestDrive lives for a whole Describe block: start every test from an empty machine.
    foreach ($dir in @('ProgramData', 'ProgramFiles')) { Remove-Item -LiteralPath (Join-Path $Root $dir) -Recurse -Force -ErrorAction Ignore }
    $env:ProgramFiles = Join-Path $Root 'ProgramFiles'
    $env:CORRAL_INSTANCE = 'ctestunit'
    $null = New-Item -ItemType Directory -Path (Join-Path $env:ProgramData 'ctestunit\credentials') -Force
    if (Get-Command Initialize-CorralWindowsSim -ErrorAction Ignore) {
        $null = Initialize-CorralWindowsSim -StateFile (Join-Path $Root 'sim-machine.json') -Elevated
    }
}

function Exit-CorralTestState {
    $env:ProgramData = $script:SavedProgramData
    $env:ProgramFiles = $script:SavedProgramFiles
    $env:CORRAL_INSTANCE = $script:SavedInstance
    $env:CORRAL_SIM_STATE = $null
}

function Skip-CorralUnlessWindows {
    # Inside an It: marks the test skipped, with the reason, when not on Windows (Pester shows
    # it as skipped, never as passed). Tag such tests 'Windows'.
    param([string]$Because = $script:WindowsOnlyReason)
    if (-not $script:IsWindowsHost) { Set-ItResult -Skipped -Because $Because }
}

function Skip-CorralUnlessSim {
    # Inside an It: the test drives the simulated Windows, which exists on PowerShell 7 only.
    if ($PSVersionTable.PSEdition -ne 'Core') { Set-ItResult -Skipped -Because 'the simulated Windows runs on PowerShell 7 only' }
}

function New-CorralTestSid {
    # A SID object as LocalAccounts returns it (.Value): the real type on Windows, the sim's elsewhere.
    param([Parameter(Mandatory)][string]$Value)
    if ($script:IsWindowsHost) { return [System.Security.Principal.SecurityIdentifier]::new($Value) }
    return New-SimSid $Value
}

function Write-CorralTestState {
    param([Parameter(Mandatory)][hashtable]$State)
    $path = Join-Path $env:ProgramData 'ctestunit\state.json'
    [System.IO.File]::WriteAllText($path, (ConvertTo-Json -InputObject $State -Depth 20), [System.Text.UTF8Encoding]::new($false))
}

function Write-CorralTestJournal {
    param([Parameter(Mandatory)][object[]]$Entries)
    $path = Join-Path $env:ProgramData 'ctestunit\journal.jsonl'
    $lines = foreach ($entry in $Entries) { ConvertTo-Json -InputObject $entry -Depth 10 -Compress }
    [System.IO.File]::WriteAllLines($path, [string[]]$lines, [System.Text.UTF8Encoding]::new($false))
}

function New-CorralTestStateRecord {
    # alice with both identities recorded (SIDs are made up; cmdlets are mocked).
    @{
        version      = 1
        installation = 'ctestunit'
        users        = @{
            alice = @{
                sid        = 'S-1-5-21-1-2-3-1001'
                identities = @{
                    offline = @{ name = 'ctes-off-alice'; sid = 'S-1-5-21-1-2-3-2001' }
                    online  = @{ name = 'ctes-on-alice'; sid = 'S-1-5-21-1-2-3-2002' }
                }
                network    = 'offline'
                workspaces = @()
            }
        }
        runner       = $null
    }
}

function New-CorralFakeRegistryHive {
    # An in-memory hive standing for what [RegistryKey]::OpenBaseKey returns, for the registry
    # seams' tests off Windows (Mock Open-CorralRegistryBaseKey returns @{ Base = <this>; SubKey }).
    # $Store maps a key path (case-insensitive, as the registry's) to its values: name -> @{ Value; Kind }.
    # Only what the seams call: OpenSubKey, CreateSubKey (parents too), DeleteSubKeyTree, Dispose;
    # on a key GetValue, GetValueNames, SetValue, DeleteValue, ValueCount, SubKeyCount, Dispose.
    param([hashtable]$Store = @{})
    $newKey = {
        param($store, $path)
        $key = [pscustomobject]@{ Store = $store; Path = $path }
        $key | Add-Member -MemberType ScriptProperty -Name ValueCount -Value { $this.Store[$this.Path].Count }
        $key | Add-Member -MemberType ScriptProperty -Name SubKeyCount -Value {
            $prefix = "$($this.Path)\"
            @($this.Store.Keys | Where-Object { $_.StartsWith($prefix, [System.StringComparison]::OrdinalIgnoreCase) -and $_.Substring($prefix.Length) -notmatch '\\' }).Count
        }
        $key | Add-Member -MemberType ScriptMethod -Name GetValueNames -Value { , [string[]]@($this.Store[$this.Path].Keys) }
        $key | Add-Member -MemberType ScriptMethod -Name GetValue -Value { param($name, $default) if ($this.Store[$this.Path].Contains($name)) { $this.Store[$this.Path][$name].Value } else { $default } }
        $key | Add-Member -MemberType ScriptMethod -Name SetValue -Value { param($name, $value, $kind) $this.Store[$this.Path][$name] = @{ Value = $value; Kind = "$kind" } }
        $key | Add-Member -MemberType ScriptMethod -Name DeleteValue -Value { param($name, $throwIfMissing) $this.Store[$this.Path].Remove($name) }
        $key | Add-Member -MemberType ScriptMethod -Name Dispose -Value { }
        return $key
    }
    $hive = [pscustomobject]@{ Store = $Store; NewKey = $newKey }
    $hive | Add-Member -MemberType ScriptMethod -Name OpenSubKey -Value { param($sub, $writable) if (-not $this.Store.Contains($sub)) { return $null }; & $this.NewKey $this.Store $sub }
    $hive | Add-Member -MemberType ScriptMethod -Name CreateSubKey -Value {
        param($sub, $writable)
        $parts = $sub.Split('\')
        for ($i = 1; $i -le $parts.Count; $i++) { $p = $parts[0..($i - 1)] -join '\'; if (-not $this.Store.Contains($p)) { $this.Store[$p] = @{} } }
        & $this.NewKey $this.Store $sub
    }
    $hive | Add-Member -MemberType ScriptMethod -Name DeleteSubKeyTree -Value {
        param($sub, $throwIfMissing)
        foreach ($k in @($this.Store.Keys)) { if ($k -eq $sub -or $k.StartsWith("$sub\", [System.StringComparison]::OrdinalIgnoreCase)) { $this.Store.Remove($k) } }
    }
    $hive | Add-Member -MemberType ScriptMethod -Name Dispose -Value { }
    return $hive
}

function Use-CorralFakeRegistry {
    # Inside an It or BeforeEach: the registry seams open $Hive (New-CorralFakeRegistryHive)
    # instead of the real hive, whatever view they ask for (assert the view with
    # Should -Invoke Open-CorralRegistryBaseKey -ModuleName Corral -ParameterFilter { $View -eq … }).
    param([Parameter(Mandatory)]$Hive)
    $global:CorralTestRegistryHive = $Hive
    Mock -ModuleName Corral Open-CorralRegistryBaseKey { @{ Base = $global:CorralTestRegistryHive; SubKey = ($Key -replace '^HK(LM|CU):\\', '').TrimEnd('\') } }
}
