function Get-CorralFileAcl {
    <#
    .SYNOPSIS
    The DACL (access sections only) of a file or folder, on Windows PowerShell 5.1 and 7.

    .DESCRIPTION
    Get-Acl also reads owner and SACL and fails on paths with [ ] unless -LiteralPath; this
    reads access rules only, through .NET, so it needs no SeSecurityPrivilege.
    #>
    [CmdletBinding()]
    [OutputType([System.Security.AccessControl.FileSystemSecurity])]
    param(
        [Parameter(Mandatory)]
        [string]$Path
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    $sections = [System.Security.AccessControl.AccessControlSections]::Access
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        return $item.GetAccessControl($sections)
    }
    if ($item -is [System.IO.DirectoryInfo]) {
        return [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.DirectoryInfo]$item, $sections)
    }
    return [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.FileInfo]$item, $sections)
}
