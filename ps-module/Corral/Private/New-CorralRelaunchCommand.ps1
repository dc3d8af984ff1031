function New-CorralRelaunchCommand {
    <#
    .SYNOPSIS
    The 64-bit PowerShell and its arguments that run a script again with the same parameters, passed as data.

    .DESCRIPTION
    For install.ps1 started from a 32-bit host on 64-bit Windows (Test-CorralWow64Host). The
    program is %windir%\sysnative\WindowsPowerShell\v1.0\powershell.exe: `sysnative` is the
    alias through which a 32-bit process reaches the real System32 (the 64-bit PowerShell).

    Threat model: the parameters (a user name, workspace paths) come from the fleet tool's
    command line and must stay data. They never become PowerShell text or command-line text:
    they are serialised to JSON, the JSON to base64, and the fixed command below decodes it
    and splats the parameters onto the script (whose path travels in the same payload). The
    only variable part of the command text is that base64 literal, whose alphabet
    (A-Z a-z 0-9 + / =) cannot end a quoted string; the whole command goes as -EncodedCommand
    (base64 of UTF-16LE), so every argument is a fixed word or base64 and the command line
    needs no quoting (Start-CorralProcess refuses any other argument). The command exits with
    the script's exit code, so the caller can pass it on.

    .PARAMETER ScriptPath
    The script to run again (install.ps1, by full path).

    .PARAMETER Parameters
    Its bound parameters ($PSBoundParameters): strings, string arrays, switches, booleans.

    .PARAMETER WindowsDirectory
    The Windows folder ($env:windir).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$ScriptPath,
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]$Parameters,
        [Parameter(Mandatory)]
        [string]$WindowsDirectory
    )
    $plain = [ordered]@{}
    foreach ($name in @($Parameters.Keys)) {
        $value = $Parameters[$name]
        # A [switch] would serialise as { IsPresent: … }: pass it as the boolean it is.
        if ($value -is [System.Management.Automation.SwitchParameter]) { $value = [bool]$value }
        elseif ($value -is [array]) { $value = @($value | ForEach-Object { [string]$_ }) }
        elseif ($value -isnot [bool]) { $value = [string]$value }
        $plain[[string]$name] = $value
    }
    $json = ConvertTo-Json -InputObject ([ordered]@{ script = $ScriptPath; parameters = $plain }) -Depth 5 -Compress
    $payload = [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($json))
    $command = @(
        '$ErrorActionPreference = ''Stop'''
        "`$payload = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String('$payload')) | ConvertFrom-Json"
        '$splat = @{}'
        'foreach ($p in $payload.parameters.PSObject.Properties) { $splat[$p.Name] = $p.Value }'
        '$global:LASTEXITCODE = 1'
        'try { & $payload.script @splat; exit $global:LASTEXITCODE } catch { [Console]::Error.WriteLine("install.ps1 (64-bit): $($_.Exception.Message)"); exit 1 }'
    ) -join "`n"
    return @{
        FilePath     = [System.IO.Path]::Combine($WindowsDirectory, 'sysnative', 'WindowsPowerShell', 'v1.0', 'powershell.exe')
        ArgumentList = [string[]]@('-NoProfile', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($command)))
    }
}
