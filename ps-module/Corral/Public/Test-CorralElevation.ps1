function Test-CorralElevation {
    <#
    .SYNOPSIS
    Tells whether this PowerShell runs elevated (as a member of Administrators with the full token).

    .DESCRIPTION
    Checks the current token for the BUILTIN\Administrators role. With UAC, an administrator's
    unelevated token has the group as deny-only, so this is $false until "Run as administrator".
    Changes nothing.

    .EXAMPLE
    Test-CorralElevation

    Returns $true in an elevated session.

    .OUTPUTS
    System.Boolean
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    try {
        $principal = [System.Security.Principal.WindowsPrincipal]::new($identity)
        return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    } finally {
        $identity.Dispose()
    }
}
