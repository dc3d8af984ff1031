function Get-CorralUserGroupSid {
    <#
    .SYNOPSIS
    The SID of a real user's own group, as recorded in state.json and checked on the machine.

    .DESCRIPTION
    Grants name this SID, so it must be the group Install-CorralUserGroup created: the record
    (users.<user>.group = {name, sid}) must exist and the local group of that name must have
    that SID. Anything else is CorralNotProvisioned (run Install-CorralUserGroup or
    Install-Corral): never fall back to another SID, which would widen or break the grant.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string]$User,
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$State
    )
    $recorded = if ($State['users'].Contains($User)) { $State['users'][$User]['group'] } else { $null }
    if (-not $recorded -or -not $recorded['name'] -or -not $recorded['sid']) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound -TargetObject $User `
            -Message "'$User' has no sandbox group recorded in state.json; run Install-CorralUserGroup -User '$User' (or Install-Corral) first."))
    }
    $group = Get-LocalGroup -Name $recorded['name'] -ErrorAction SilentlyContinue
    if (-not $group -or $group.SID.Value -ne $recorded['sid']) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound -TargetObject $recorded['name'] `
            -Message "The group $($recorded['name']) ($($recorded['sid'])) of '$User' is missing or has another SID; run Install-Corral again."))
    }
    return $group.SID.Value
}
