function Get-CorralOwnerSid {
    <#
    .SYNOPSIS
    The owner SID of a file or folder (Windows PowerShell 5.1 and 7).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string]$Path
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    $sections = [System.Security.AccessControl.AccessControlSections]::Owner
    $security = if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $item.GetAccessControl($sections)
    } elseif ($item -is [System.IO.DirectoryInfo]) {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.DirectoryInfo]$item, $sections)
    } else {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.FileInfo]$item, $sections)
    }
    return $security.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
}
