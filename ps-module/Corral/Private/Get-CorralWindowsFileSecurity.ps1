function Get-CorralWindowsFileSecurity {
    <#
    .SYNOPSIS
    Seam helper: the .NET FileSystemSecurity (access section) of a path, and a writer for it (Windows only).

    .DESCRIPTION
    Returns @{ Security = <DirectorySecurity|FileSecurity>; Write = <scriptblock> }: the
    scriptblock persists the object back to the same path (SetAccessControl; Windows then
    propagates inheritable entries to the children, SetNamedSecurityInfo auto-inheritance).
    Used only by the other ACL seams; never replaced by tests, which replace those.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$Path
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    $sections = [System.Security.AccessControl.AccessControlSections]::Access
    $isDirectory = $item -is [System.IO.DirectoryInfo]
    $security = if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $item.GetAccessControl($sections)
    } elseif ($isDirectory) {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.DirectoryInfo]$item, $sections)
    } else {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.FileInfo]$item, $sections)
    }
    $write = {
        param($acl)
        if ($PSVersionTable.PSEdition -eq 'Desktop') {
            $item.SetAccessControl($acl)
        } elseif ($isDirectory) {
            [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.DirectoryInfo]$item, [System.Security.AccessControl.DirectorySecurity]$acl)
        } else {
            [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.FileInfo]$item, [System.Security.AccessControl.FileSecurity]$acl)
        }
    }.GetNewClosure()
    @{ Security = $security; Write = $write }
}
