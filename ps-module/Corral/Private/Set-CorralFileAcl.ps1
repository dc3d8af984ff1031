function Set-CorralFileAcl {
    <#
    .SYNOPSIS
    Seam: replaces a file's or folder's owner and DACL with a protected DACL of exactly the given ACEs.

    .DESCRIPTION
    -Aces are records like Get-CorralFileAcl's (sid, rights, type, inheritance, propagation).
    Inheritance from the parent is turned off and nothing inherited is kept
    (SetAccessRuleProtection($true, $false)), so the result is exactly -Aces. The owner is set
    too (Administrators for Corral's own folders, so no unprivileged account keeps WRITE_DAC
    through ownership). Windows-only (.NET ACL types); tests replace it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$Owner,
        [Parameter(Mandatory)]
        [System.Collections.IDictionary[]]$Aces
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Write protected ACL')) { return }
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    $isDirectory = $item -is [System.IO.DirectoryInfo]
    $acl = if ($isDirectory) { [System.Security.AccessControl.DirectorySecurity]::new() } else { [System.Security.AccessControl.FileSecurity]::new() }
    $acl.SetAccessRuleProtection($true, $false)
    $acl.SetOwner([System.Security.Principal.SecurityIdentifier]::new($Owner))
    foreach ($ace in $Aces) {
        $rule = $acl.AccessRuleFactory([System.Security.Principal.SecurityIdentifier]::new([string]$ace['sid']), [int]$ace['rights'], $false,
            [System.Security.AccessControl.InheritanceFlags][int]$ace['inheritance'],
            [System.Security.AccessControl.PropagationFlags][int]$ace['propagation'],
            [System.Security.AccessControl.AccessControlType][string]$ace['type'])
        $acl.AddAccessRule($rule)
    }
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $item.SetAccessControl($acl)
    } elseif ($isDirectory) {
        [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.DirectoryInfo]$item, [System.Security.AccessControl.DirectorySecurity]$acl)
    } else {
        [System.IO.FileSystemAclExtensions]::SetAccessControl([System.IO.FileInfo]$item, [System.Security.AccessControl.FileSecurity]$acl)
    }
}
