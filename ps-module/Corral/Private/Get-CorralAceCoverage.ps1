function Get-CorralAceCoverage {
    <#
    .SYNOPSIS
    The access-mask bits that explicit ACEs on a path already give a SID with the same type and flags.

    .DESCRIPTION
    Only explicit (not inherited) ACEs count: an inherited ACE belongs to another grant, and
    revoking that grant would take it away. Returns an int mask (0 when none).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [System.Security.AccessControl.FileSystemSecurity]$Acl,
        [Parameter(Mandatory)]
        [string]$Sid,
        [Parameter(Mandatory)]
        [ValidateSet('Allow', 'Deny')]
        [string]$Type,
        [Parameter(Mandatory)]
        [System.Security.AccessControl.InheritanceFlags]$Inheritance,
        [Parameter(Mandatory)]
        [System.Security.AccessControl.PropagationFlags]$Propagation
    )
    $mask = 0
    foreach ($rule in $Acl.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier])) {
        if ($rule.IdentityReference.Value -ne $Sid) { continue }
        if ("$($rule.AccessControlType)" -ne $Type) { continue }
        if ($rule.InheritanceFlags -ne $Inheritance -or $rule.PropagationFlags -ne $Propagation) { continue }
        $mask = $mask -bor [int]$rule.FileSystemRights
    }
    return $mask
}
