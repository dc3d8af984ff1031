function Remove-CorralAce {
    <#
    .SYNOPSIS
    Takes away exactly the ACE bits one journal record added (a no-op when the path is gone).

    .DESCRIPTION
    Remove-CorralFileAccessRule (RemoveAccessRule) subtracts the recorded mask from explicit ACEs with the same SID, type
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
    Remove-CorralFileAccessRule -Path $path -Sid ([string]$Undo['sid']) -Rights ([int]$Undo['rights']) -Type ([string]$Undo['type']) `
        -Inheritance ([int]$Undo['inheritance']) -Propagation ([int]$Undo['propagation']) -WhatIf:$false
}
