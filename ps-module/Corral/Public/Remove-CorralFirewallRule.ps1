function Remove-CorralFirewallRule {
    <#
    .SYNOPSIS
    Removes the firewall rules this installation created for a real user's offline identity.

    .DESCRIPTION
    Undoes the journaled firewall rules of the identity (scope firewall:<identity>), newest
    first. Rules that are already gone are skipped; rules not created by Corral are never touched.

    .PARAMETER User
    The real user whose offline identity's rules go.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Remove-CorralFirewallRule -User alice -Force

    .OUTPUTS
    PSCustomObject with Identity, Removed and Changed.
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
    $state = Read-CorralStateFile
    $record = if ($state['users'].Contains($User)) { $state['users'][$User]['identities']['offline'] } else { $null }
    $name = if ($record) { $record['name'] } else { Get-CorralIdentityName -User $User -Network offline }
    $entries = @(Read-CorralJournal -Scope "firewall:$name")
    [array]::Reverse($entries)
    $removed = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in $entries) {
        if ($PSCmdlet.ShouldProcess($entry['undo']['name'], 'Remove firewall rule')) {
            Undo-CorralJournalEntry -Entry $entry -Confirm:$false
            $removed.Add($entry['undo']['name'])
        }
    }
    [pscustomobject]@{ Identity = $name; Removed = $removed.ToArray(); Changed = ($removed.Count -gt 0) }
}
