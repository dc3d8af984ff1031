function Get-CorralRecordedIdentity {
    <#
    .SYNOPSIS
    The state file's record of a real user's sandbox identity, or CorralNotProvisioned.

    .DESCRIPTION
    With -Network (offline or online): the record of that identity (name, sid, ...). Without:
    the user's whole record, which must hold at least one identity. Either way, a user or an
    identity the state file does not record is a terminating CorralNotProvisioned error whose
    message ends with -Remedy (what to run first). The one place Public functions look a
    provisioned identity up, so each refuses the same way.

    .PARAMETER State
    The state document (Read-CorralStateFile).

    .PARAMETER User
    The real user, as the state file keys it.

    .PARAMETER Network
    offline or online: which identity. Omitted: the user's record.

    .PARAMETER Remedy
    The advice the error ends with, e.g. 'run New-CorralIdentity (or Install-Corral) first.'
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.IDictionary])]
    param(
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$State,
        [Parameter(Mandatory)]
        [string]$User,
        [ValidateSet('offline', 'online')]
        [string]$Network,
        [string]$Remedy = 'run New-CorralIdentity (or Install-Corral) first.'
    )
    $userRecord = if ($State['users'] -and $State['users'].Contains($User)) { $State['users'][$User] } else { $null }
    $identities = if ($userRecord) { $userRecord['identities'] } else { $null }
    if ($Network) {
        $record = if ($identities) { $identities[$Network] } else { $null }
        if (-not $record) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound -TargetObject $User `
                -Message "No $Network identity is recorded for '$User'; $Remedy"))
        }
        return $record
    }
    if (-not $identities -or $identities.Count -eq 0) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound -TargetObject $User `
            -Message "'$User' has no sandbox identities yet; $Remedy"))
    }
    $userRecord
}
