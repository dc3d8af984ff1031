function Set-CorralFileAcl {
    <#
    .SYNOPSIS
    Writes a DACL (and owner, when the security object carries one) to a file or folder, on 5.1 and 7.

    .DESCRIPTION
    Windows propagates inheritable entries to the children when a folder's DACL changes
    (SetNamedSecurityInfo auto-inheritance): grants are applied once per workspace, never per command.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [System.Security.AccessControl.FileSystemSecurity]$Acl
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Write ACL')) { return }
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $item.SetAccessControl($Acl)
    } elseif ($item -is [System.IO.DirectoryInfo]) {
        [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.DirectoryInfo]$item, [System.Security.AccessControl.DirectorySecurity]$Acl)
    } else {
        [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.FileInfo]$item, [System.Security.AccessControl.FileSecurity]$Acl)
    }
}
