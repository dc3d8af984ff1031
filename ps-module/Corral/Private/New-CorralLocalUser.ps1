function New-CorralLocalUser {
    <#
    .SYNOPSIS
    Creates a local account (password never expires, user may not change it, account never expires) on Windows PowerShell 5.1 and 7.

    .DESCRIPTION
    One path for both editions: NetUserAdd through the Add-CorralNetUser seam. New-LocalUser
    is not used: on PowerShell 7.3+ it fails with a TypeLoadException (PowerShell issue
    18624), and the Windows PowerShell compatibility session would add a second process and a
    second serialization of the password. Status codes: 0 created; 2224 (NERR_UserExists) and
    1379 (ERROR_ALIAS_EXISTS: a group of that name) are CorralUserExists; anything else
    (e.g. 2245 NERR_PasswordTooShort, 5 access denied) is CorralStepFailed naming the code.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$')]
        [string]$Name,
        [Parameter(Mandatory)]
        [System.Security.SecureString]$Password,
        [string]$Description = ''
    )
    if (-not $PSCmdlet.ShouldProcess($Name, 'Create local user')) { return }
    $status = Add-CorralNetUser -Name $Name -Password $Password -Description $Description -Confirm:$false
    switch ($status) {
        0 { return }
        { $_ -in @(2224, 1379) } {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralUserExists' -Category ResourceExists -TargetObject $Name `
                -Message "An account or group named '$Name' already exists (NetUserAdd status $status)."))
        }
        default {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category NotSpecified -TargetObject $Name `
                -Message "NetUserAdd for '$Name' failed with status $status."))
        }
    }
}
