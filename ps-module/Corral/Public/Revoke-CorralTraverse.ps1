function Revoke-CorralTraverse {
    <#
    .SYNOPSIS
    Removes exactly the traverse and toolchain read ACEs Grant-CorralTraverse added for a user.

    .DESCRIPTION
    Undoes, newest first, the journaled ACEs of scope traverse:<user>, taking away only the
    rights each one added.

    .PARAMETER User
    The real user.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Revoke-CorralTraverse -User alice -Force

    .OUTPUTS
    PSCustomObject with AcesRemoved and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $entries = @(Read-CorralJournal -Scope "traverse:$User")
    if ($entries.Count -eq 0 -or -not $PSCmdlet.ShouldProcess($User, 'Revoke traverse and toolchain ACEs')) {
        return [pscustomobject]@{ AcesRemoved = 0; Changed = $false }
    }
    [array]::Reverse($entries)
    foreach ($entry in $entries) { Undo-CorralJournalEntry -Entry $entry -Confirm:$false }
    [pscustomobject]@{ AcesRemoved = $entries.Count; Changed = $true }
}
