function Get-CorralProfilePath {
    <#
    .SYNOPSIS
    The profile folder of an account, by SID, from the ProfileList key; $null when it has none.

    .DESCRIPTION
    Reads ProfileImagePath of HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\<SID>
    through the registry seam and expands its environment variables (Windows stores
    %SystemDrive%\Users\name). The runner finds the same folder as its known folder Profile.

    .PARAMETER Sid
    The account's SID.

    .EXAMPLE
    Get-CorralProfilePath -Sid S-1-5-21-1-2-3-1001

    .OUTPUTS
    System.String, or nothing when the account has no profile.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$Sid
    )
    $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid"
    $value = Get-CorralRegistryValue -Key $key -Name ProfileImagePath
    if (-not $value) { return $null }
    return [Environment]::ExpandEnvironmentVariables([string]$value)
}
