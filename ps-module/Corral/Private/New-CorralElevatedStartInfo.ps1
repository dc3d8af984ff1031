function New-CorralElevatedStartInfo {
    <#
    .SYNOPSIS
    The ProcessStartInfo of an elevated start: runas verb through ShellExecute, hidden window.
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.ProcessStartInfo])]
    param(
        [Parameter(Mandatory)]
        [string]$FilePath,
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$ArgumentList
    )
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $FilePath
    $info.Arguments = $ArgumentList
    # runas: ShellExecuteEx asks UAC for the administrator's full token; it needs UseShellExecute.
    $info.Verb = 'runas'
    $info.UseShellExecute = $true
    $info.WindowStyle = [System.Diagnostics.ProcessWindowStyle]::Hidden
    return $info
}
