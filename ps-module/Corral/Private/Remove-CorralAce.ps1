function Remove-CorralAce {
    <#
    .SYNOPSIS
    Takes away exactly the ACE bits one journal record added (a no-op when the path is gone).

    .DESCRIPTION
    RemoveAccessRule subtracts the recorded mask from explicit ACEs with the same SID, type
    and flags; an ACE left with no bits disappears. Rights that were there before the grant
    were never recorded, so they stay.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$Undo
    )
    $path = [string]$Undo['path']
    if (-not (Test-Path -LiteralPath $path)) { return }
    if (-not $PSCmdlet.ShouldProcess($path, "Remove $($Undo['type']) ACE for $($Undo['sid'])")) { return }
    $acl = Get-CorralFileAcl -Path $path
    $identity = [System.Security.Principal.SecurityIdentifier]::new([string]$Undo['sid'])
    $rule = $acl.AccessRuleFactory($identity, [int]$Undo['rights'], $false,
        [System.Security.AccessControl.InheritanceFlags][int]$Undo['inheritance'],
        [System.Security.AccessControl.PropagationFlags][int]$Undo['propagation'],
        [System.Security.AccessControl.AccessControlType][string]$Undo['type'])
    $null = $acl.RemoveAccessRule($rule)
    Set-CorralFileAcl -Path $path -Acl $acl
}
