function Add-CorralFileAccessRule {
    <#
    .SYNOPSIS
    Seam: adds access-mask bits for one SID on a file or folder (explicit ACE), like AddAccessRule.

    .DESCRIPTION
    Adds exactly -Rights for -Sid with -Type, -Inheritance and -Propagation: .NET's
    AddAccessRule merges the bits into an explicit ACE with the same SID, type and flags, or appends one in canonical order (deny before allow). The mask goes through AccessRuleFactory so that .NET does not add or
    drop SYNCHRONIZE behind our back. Windows-only (.NET ACL types); tests replace it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$Sid,
        [Parameter(Mandatory)]
        [int]$Rights,
        [Parameter(Mandatory)]
        [ValidateSet('Allow', 'Deny')]
        [string]$Type,
        [int]$Inheritance = 0,
        [int]$Propagation = 0
    )
    if (-not $PSCmdlet.ShouldProcess($Path, "Add $Type ACE for $Sid")) { return }
    $file = Get-CorralWindowsFileSecurity -Path $Path
    $acl = $file.Security
    $identity = [System.Security.Principal.SecurityIdentifier]::new($Sid)
    $rule = $acl.AccessRuleFactory($identity, $Rights, $false,
        [System.Security.AccessControl.InheritanceFlags]$Inheritance,
        [System.Security.AccessControl.PropagationFlags]$Propagation,
        [System.Security.AccessControl.AccessControlType]$Type)
    $acl.AddAccessRule($rule)
    & $file.Write $acl
}
