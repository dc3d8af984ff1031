function Assert-CorralElevation {
    <#
    .SYNOPSIS
    Throws CorralNotElevated unless this PowerShell runs elevated.

    .DESCRIPTION
    Every function that changes the machine calls this first, so a missing elevation fails
    before anything is changed, with a stable ErrorId the orchestrator maps to `not_elevated`.

    .EXAMPLE
    Assert-CorralElevation

    Returns nothing when elevated; otherwise a terminating error with ErrorId CorralNotElevated.

    .OUTPUTS
    None
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param()
    if (-not (Test-CorralElevation)) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotElevated' -Category PermissionDenied `
            -Message 'Corral provisioning needs an elevated PowerShell: right-click PowerShell, "Run as administrator", and run the command again.'))
    }
}
