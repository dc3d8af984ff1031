function Get-CorralFileAcl {
    <#
    .SYNOPSIS
    Seam: the owner and DACL of a file or folder as data (Windows PowerShell 5.1 and 7).

    .DESCRIPTION
    Returns @{ Owner = '<SID>'; Protected = <bool>; Aces = @( @{ sid; rights (int mask); type
    ('Allow'/'Deny'); inheritance (int InheritanceFlags); propagation (int PropagationFlags);
    inherited (bool) } ) } in the DACL's order. Reads the owner and access sections only
    (no SACL, so no SeSecurityPrivilege), with -LiteralPath semantics. One of the module's
    four ACL seams (with Add-/Remove-CorralFileAccessRule and Set-CorralFileAcl): the .NET ACL
    types work only on Windows, so everything above them handles plain data and is tested
    anywhere.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$Path
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
    $sections = [System.Security.AccessControl.AccessControlSections]'Access, Owner'
    $security = if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $item.GetAccessControl($sections)
    } elseif ($item -is [System.IO.DirectoryInfo]) {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.DirectoryInfo]$item, $sections)
    } else {
        [System.IO.FileSystemAclExtensions]::GetAccessControl([System.IO.FileInfo]$item, $sections)
    }
    $aces = foreach ($rule in $security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        [ordered]@{
            sid         = $rule.IdentityReference.Value
            rights      = [int]$rule.FileSystemRights
            type        = "$($rule.AccessControlType)"
            inheritance = [int]$rule.InheritanceFlags
            propagation = [int]$rule.PropagationFlags
            inherited   = [bool]$rule.IsInherited
        }
    }
    $owner = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
    @{
        Owner     = if ($owner) { $owner.Value } else { $null }
        Protected = [bool]$security.AreAccessRulesProtected
        Aces      = @($aces)
    }
}
