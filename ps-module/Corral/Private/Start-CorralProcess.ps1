function Start-CorralProcess {
    <#
    .SYNOPSIS
    Seam: starts a program with the given arguments in this console, waits for it, and returns its exit code.

    .DESCRIPTION
    Used by install.ps1 to run itself again in the 64-bit PowerShell (New-CorralRelaunchCommand).
    The child shares this console, so its output reaches the fleet tool's log. Windows PowerShell
    5.1 has no ProcessStartInfo.ArgumentList, so the command line is the arguments joined by
    spaces; that is exact only for words that need no quoting, so any other argument is refused
    (CorralArgumentsInvalid) rather than quoted: callers pass fixed words and base64 only.

    .PARAMETER FilePath
    The program, by full path.

    .PARAMETER ArgumentList
    Its arguments: each only letters, digits and + / = - (no quoting needed, none done).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [string]$FilePath,
        [Parameter(Mandatory)]
        [string[]]$ArgumentList
    )
    foreach ($argument in $ArgumentList) {
        if ($argument -cnotmatch '^[A-Za-z0-9+/=-]+$') {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralArgumentsInvalid' `
                -Message "Start-CorralProcess passes only words that need no quoting; refused an argument of $($argument.Length) characters." -Category InvalidArgument))
        }
    }
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $FilePath
    $info.Arguments = $ArgumentList -join ' '
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $process.WaitForExit()
    return $process.ExitCode
}
