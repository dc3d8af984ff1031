function Resolve-CorralRealUser {
    <#
    .SYNOPSIS
    The real user's SID and profile folder, from a name (alice, DOMAIN\alice, AzureAD\alice).

    .DESCRIPTION
    Translates the name with NTAccount -> SecurityIdentifier and reads ProfileImagePath from
    the ProfileList key of that SID. A name that does not resolve is CorralConfigInvalid.
    The profile may be missing (a user who never logged on): Profile is then $null.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$User
    )
    try {
        $sid = ([System.Security.Principal.NTAccount]::new($User)).Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralConfigInvalid' -Category ObjectNotFound `
            -Message "The real user '$User' is not an account on this machine or its domain: $($_.Exception.Message)" -TargetObject $User))
    }
    $profilePath = $null
    $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$sid"
    if (Test-Path -LiteralPath $key) {
        $profilePath = (Get-ItemProperty -LiteralPath $key -Name ProfileImagePath -ErrorAction SilentlyContinue).ProfileImagePath
        if ($profilePath) { $profilePath = [Environment]::ExpandEnvironmentVariables($profilePath) }
    }
    @{ Name = $User; Sid = $sid; Profile = $profilePath }
}
