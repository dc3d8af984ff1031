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
        $sid = ConvertTo-CorralSid -Name $User
    } catch {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralConfigInvalid' -Category ObjectNotFound `
            -Message "The real user '$User' is not an account on this machine or its domain: $($_.Exception.Message)" -TargetObject $User))
    }
    $profilePath = $null
    $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$sid"
    $profilePath = Get-CorralRegistryValue -Key $key -Name ProfileImagePath
    if ($profilePath) { $profilePath = [Environment]::ExpandEnvironmentVariables([string]$profilePath) }
    @{ Name = $User; Sid = $sid; Profile = $profilePath }
}
