function Revoke-CorralTraverse {
    <#
    .SYNOPSIS
    Removes exactly the traverse and toolchain read ACEs Grant-CorralTraverse added for a user.

    .DESCRIPTION
    Undoes, newest first, the journaled ACEs of scope traverse:<user>, taking away only the
    rights each one added. With -Path, only the ACEs on those folders (the ones a removed
    workspace needed and no remaining one does: `corral setup --remove-workspace` decides
    which); the others stay.

    .PARAMETER User
    The real user.

    .PARAMETER Path
    Only the journaled ACEs on these folders (compared without case, trailing separators
    ignored). Without it, all of the user's.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Revoke-CorralTraverse -User alice -Force

    .EXAMPLE
    Revoke-CorralTraverse -User alice -Path C:\src -Force

    .OUTPUTS
    PSCustomObject with AcesRemoved and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [string[]]$Path,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $entries = @(Read-CorralJournal -Scope "traverse:$User")
    if ($PSBoundParameters.ContainsKey('Path')) {
        $separators = [char[]]@('\', '/')
        $wanted = @($Path | Where-Object { $_ } | ForEach-Object { [System.IO.Path]::GetFullPath($_).TrimEnd($separators) })
        $entries = @($entries | Where-Object {
                $at = [System.IO.Path]::GetFullPath([string]$_['undo']['path']).TrimEnd($separators)
                @($wanted | Where-Object { [string]::Equals($_, $at, [StringComparison]::OrdinalIgnoreCase) }).Count -gt 0
            })
    }
    if ($entries.Count -eq 0 -or -not $PSCmdlet.ShouldProcess($User, 'Revoke traverse and toolchain ACEs')) {
        return [pscustomobject]@{ AcesRemoved = 0; Changed = $false }
    }
    [array]::Reverse($entries)
    foreach ($entry in $entries) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
    [pscustomobject]@{ AcesRemoved = $entries.Count; Changed = $true }
}
