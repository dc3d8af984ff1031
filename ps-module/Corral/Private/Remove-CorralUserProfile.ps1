function Remove-CorralUserProfile {
    <#
    .SYNOPSIS
    Seam: deletes the profile (folder and ProfileList entry) of an account by SID, through CIM Win32_UserProfile.

    .DESCRIPTION
    The module's only use of CIM, so tests replace it. Nothing happens when there is no
    profile for the SID.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$Sid
    )
    $profiles = @(Get-CimInstance -ClassName Win32_UserProfile -ErrorAction Stop | Where-Object { $_.SID -eq $Sid })
    foreach ($userProfile in $profiles) {
        if ($PSCmdlet.ShouldProcess($Sid, 'Remove user profile')) { Remove-CimInstance -InputObject $userProfile -ErrorAction Stop }
    }
}
