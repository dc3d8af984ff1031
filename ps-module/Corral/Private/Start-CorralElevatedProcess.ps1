function Start-CorralElevatedProcess {
    <#
    .SYNOPSIS
    Seam: starts one program elevated (ShellExecute with the runas verb: the UAC prompt), waits for it, and returns its exit code.

    .DESCRIPTION
    The module's only use of the runas verb (Windows-only: .NET elsewhere refuses a verb with
    Win32 error 1155), so tests replace it — the simulated Windows starts the program as an
    elevated process of the simulation instead. Called by the fixed launcher script of
    orchestrator/provision/windows/elevation.ts in the unelevated session, through the module's
    scope: it is not exported, so a plan file can never name it as a step of the elevated host.

    A cancelled prompt throws the Win32Exception with NativeErrorCode 1223 (ERROR_CANCELLED),
    which the launcher maps to CorralElevationCancelled.

    .PARAMETER FilePath
    The program (powershell.exe by absolute path).

    .PARAMETER ArgumentList
    Its argument line, already quoted for CommandLineToArgvW (elevation.ts).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [string]$FilePath,
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$ArgumentList
    )
    $process = [System.Diagnostics.Process]::Start((New-CorralElevatedStartInfo -FilePath $FilePath -ArgumentList $ArgumentList))
    $process.WaitForExit()
    return $process.ExitCode
}
