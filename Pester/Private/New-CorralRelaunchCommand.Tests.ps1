Describe 'New-CorralRelaunchCommand' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
        $script:self = if ($PSVersionTable.PSEdition -eq 'Desktop') { Join-Path $PSHOME 'powershell.exe' } else { @(Get-Command -Name pwsh -CommandType Application)[0].Source }
        # A script with install.ps1's parameters that writes what it was given and exits 3.
        $script:probe = Join-Path $TestDrive "probe dir's `$x\probe.ps1"
        $null = New-Item -ItemType Directory -Path (Split-Path -Parent $script:probe) -Force
        Set-Content -LiteralPath $script:probe -Value @'
[CmdletBinding(SupportsShouldProcess)]
param([string]$User = '', [string[]]$Workspace = @(), [string]$Network = 'offline', [switch]$Uninstall, [switch]$NonInteractive)
$seen = [ordered]@{ User = $User; Workspace = @($Workspace); Network = $Network; Uninstall = [bool]$Uninstall; NonInteractive = [bool]$NonInteractive; WhatIf = [bool]$WhatIfPreference }
[System.IO.File]::WriteAllText($env:CORRAL_TEST_PROBE_OUT, (ConvertTo-Json -InputObject $seen -Compress))
exit 3
'@
    }
    Context 'behaviour' {
        It 'names the 64-bit Windows PowerShell through sysnative' {
            $command = InModuleScope Corral { New-CorralRelaunchCommand -ScriptPath 'C:\pkg\install.ps1' -Parameters @{} -WindowsDirectory 'C:\Windows' }
            $command.FilePath | Should -Be ([System.IO.Path]::Combine('C:\Windows', 'sysnative', 'WindowsPowerShell', 'v1.0', 'powershell.exe'))
            @($command.ArgumentList)[0..4] | Should -Be @('-NoProfile', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-EncodedCommand')
            @($command.ArgumentList).Count | Should -Be 6
        }
        It 'puts no parameter value in the command text: only a base64 literal varies' {
            $one = InModuleScope Corral { New-CorralRelaunchCommand -ScriptPath 'C:\a.ps1' -Parameters @{ User = "x'; Remove-Item C:\ -Recurse; '" } -WindowsDirectory 'C:\Windows' }
            $two = InModuleScope Corral { New-CorralRelaunchCommand -ScriptPath 'C:\a.ps1' -Parameters @{ User = 'alice' } -WindowsDirectory 'C:\Windows' }
            $text = { param($c) [System.Text.Encoding]::Unicode.GetString([Convert]::FromBase64String(@($c.ArgumentList)[5])) }
            $t1 = & $text $one
            $t1 | Should -Not -Match 'Remove-Item'
            ($t1 -replace "FromBase64String\('[A-Za-z0-9+/=]+'\)", 'B64') | Should -BeExactly ((& $text $two) -replace "FromBase64String\('[A-Za-z0-9+/=]+'\)", 'B64')
        }
        It 'run by PowerShell, gives the script exactly its parameters (hostile values as data) and ends with its exit code' {
            $out = Join-Path $TestDrive 'seen.json'
            $env:CORRAL_TEST_PROBE_OUT = $out
            try {
                $hostile = "C:\Users\o'brien\`$(Remove-Item x) `"q`" ; & calc ``n $([char]0x00e9)"
                $bound = @{ User = "AzureAD\o'brien"; Workspace = [string[]]@('C:\one', $hostile); Network = 'online'; Uninstall = [switch]$true; NonInteractive = [switch]$true; WhatIf = [switch]$true }
                $command = InModuleScope Corral -Parameters @{ Probe = $script:probe; Bound = $bound } { param($Probe, $Bound) New-CorralRelaunchCommand -ScriptPath $Probe -Parameters $Bound -WindowsDirectory 'C:\Windows' }
                # The same arguments, given to this PowerShell instead of the 64-bit powershell.exe.
                & $script:self @($command.ArgumentList)
                $LASTEXITCODE | Should -Be 3
                $seen = [System.IO.File]::ReadAllText($out) | ConvertFrom-Json
                $seen.User | Should -BeExactly "AzureAD\o'brien"
                @($seen.Workspace) | Should -Be @('C:\one', $hostile)
                $seen.Network | Should -Be 'online'
                $seen.Uninstall | Should -BeTrue
                $seen.NonInteractive | Should -BeTrue
                $seen.WhatIf | Should -BeTrue
            } finally { Remove-Item -LiteralPath env:CORRAL_TEST_PROBE_OUT -ErrorAction Ignore }
        }
        It 'a single workspace stays an array of one; absent switches stay absent' {
            $out = Join-Path $TestDrive 'seen1.json'
            $env:CORRAL_TEST_PROBE_OUT = $out
            try {
                $command = InModuleScope Corral -Parameters @{ Probe = $script:probe } { param($Probe) New-CorralRelaunchCommand -ScriptPath $Probe -Parameters @{ User = 'alice'; Workspace = [string[]]@('C:\only') } -WindowsDirectory 'C:\Windows' }
                & $script:self @($command.ArgumentList)
                $LASTEXITCODE | Should -Be 3
                $seen = [System.IO.File]::ReadAllText($out) | ConvertFrom-Json
                @($seen.Workspace) | Should -Be @('C:\only')
                $seen.Uninstall | Should -BeFalse
                $seen.WhatIf | Should -BeFalse
            } finally { Remove-Item -LiteralPath env:CORRAL_TEST_PROBE_OUT -ErrorAction Ignore }
        }
    }
}
