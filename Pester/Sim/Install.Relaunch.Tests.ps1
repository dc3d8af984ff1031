# install.ps1's relaunch in 64-bit PowerShell (issue 12 item 5k), with the module's seams mocked:
# Test-CorralWow64Host ([Environment]::Is64BitOperatingSystem -and -not Is64BitProcess) and
# Start-CorralProcess (the child process). Runs the real install.ps1 in this session: it imports
# the module by the same path without -Force, so it gets the mocked one. Needs no simulated
# Windows, so it runs on Windows PowerShell 5.1 and PowerShell 7 alike. The relaunch end to end
# (the 64-bit run really provisioning, its exit code passed on) is in Install.Sim.Tests.ps1.
BeforeAll {
    $script:repo = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $script:install = Join-Path $script:repo 'install.ps1'
    # The path install.ps1 imports (Join-Path $PSScriptRoot 'ps-module\Corral\Corral.psd1').
    $null = Import-Module -Name (Join-Path $script:repo 'ps-module\Corral\Corral.psd1') -Force -PassThru
    $script:savedWindir = $env:windir
    $script:windir = Join-Path $TestDrive 'Windows'
    $script:powershell64 = [System.IO.Path]::Combine($script:windir, 'sysnative', 'WindowsPowerShell', 'v1.0', 'powershell.exe')
    $null = New-Item -ItemType Directory -Path (Split-Path -Parent $script:powershell64) -Force
    Set-Content -LiteralPath $script:powershell64 -Value 'stands for the 64-bit powershell.exe'

    function Get-RelaunchPayload {
        # The script path and parameters the -EncodedCommand carries (its base64 JSON literal).
        param([string[]]$ArgumentList)
        $at = [array]::IndexOf($ArgumentList, '-EncodedCommand')
        $text = [System.Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($ArgumentList[$at + 1]))
        $literal = [regex]::Match($text, "FromBase64String\('([A-Za-z0-9+/=]+)'\)").Groups[1].Value
        return [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($literal)) | ConvertFrom-Json
    }
}

AfterAll {
    $env:windir = $script:savedWindir
}

Describe 'install.ps1: 32-bit host on 64-bit Windows' {
    BeforeEach { $env:windir = $script:windir }

    It 'a 32-bit host: starts the 64-bit PowerShell once with its parameters as data, runs nothing itself, and exits with the child''s exit code' {
        Mock -ModuleName Corral Test-CorralWow64Host { $true }
        Mock -ModuleName Corral Start-CorralProcess { 6 }
        Mock Test-CorralElevation { $true }
        $hostile = "C:\Users\alice\it's `$(Remove-Item C:\) `"q`" ; & calc"
        & $script:install -User 'AzureAD\alice' -Workspace @('C:\Users\alice\src', $hostile) -Network online -NonInteractive
        $LASTEXITCODE | Should -Be 6
        Should -Invoke -ModuleName Corral Start-CorralProcess -Times 1 -Exactly -ParameterFilter {
            $FilePath -eq $script:powershell64 -and
            ($ArgumentList -join ' ') -match '^-NoProfile -NoLogo -ExecutionPolicy Bypass -EncodedCommand [A-Za-z0-9+/=]+$'
        }
        Should -Invoke Test-CorralElevation -Times 0 -Exactly
    }

    It 'passes every bound parameter through unchanged (the script path, strings, arrays, switches)' {
        Mock -ModuleName Corral Test-CorralWow64Host { $true }
        # The mock runs in the module's scope: what it saw goes through a global, removed below.
        $global:CorralTestRelaunchArguments = $null
        Mock -ModuleName Corral Start-CorralProcess { $global:CorralTestRelaunchArguments = $ArgumentList; 0 }
        $hostile = "C:\it's `$(x) `"q`""
        & $script:install -User 'DOMAIN\bob' -Workspace @('C:\w1', $hostile) -Uninstall -NonInteractive
        $LASTEXITCODE | Should -Be 0
        $payload = Get-RelaunchPayload -ArgumentList $global:CorralTestRelaunchArguments
        Remove-Variable -Name CorralTestRelaunchArguments -Scope Global
        $payload.script | Should -Be $script:install
        $payload.parameters.User | Should -BeExactly 'DOMAIN\bob'
        @($payload.parameters.Workspace) | Should -Be @('C:\w1', $hostile)
        $payload.parameters.Uninstall | Should -BeTrue
        $payload.parameters.NonInteractive | Should -BeTrue
        @($payload.parameters.PSObject.Properties.Name | Sort-Object) | Should -Be @('NonInteractive', 'Uninstall', 'User', 'Workspace')
    }

    It 'a 64-bit host: no relaunch; the script goes on (here: not elevated, exit 4)' {
        Mock -ModuleName Corral Test-CorralWow64Host { $false }
        Mock -ModuleName Corral Start-CorralProcess { 99 }
        Mock Test-CorralElevation { $false }
        & $script:install -User 'alice' -Workspace @('C:\Users\alice\src') -NonInteractive 2>$null
        $LASTEXITCODE | Should -Be 4
        Should -Invoke -ModuleName Corral Start-CorralProcess -Times 0 -Exactly
        Should -Invoke Test-CorralElevation -Times 1 -Exactly
    }

    It 'a 32-bit host without the 64-bit PowerShell: exit 5, nothing started' {
        Mock -ModuleName Corral Test-CorralWow64Host { $true }
        Mock -ModuleName Corral Start-CorralProcess { 0 }
        $env:windir = Join-Path $TestDrive 'NoWindows'
        & $script:install -User 'alice' -NonInteractive 2>$null
        $LASTEXITCODE | Should -Be 5
        Should -Invoke -ModuleName Corral Start-CorralProcess -Times 0 -Exactly
    }
}
