function Get-CorralUserGroupFacts {
    <#
    .SYNOPSIS
    What Get-CorralState reports about one real user's own group: as recorded and as found.

    .DESCRIPTION
    Returns an ordered dictionary {name, recorded, exists, sidMatches, sid, members,
    membersMatch, problems}: members are the SIDs found in the group, membersMatch says whether
    they are exactly the user's recorded identity SIDs (an extra member could write the user's
    workspaces; a missing one cannot), problems lists each check that failed, for Drift.
    Reads only; needs no elevation.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.IDictionary])]
    param(
        [Parameter(Mandatory)]
        [string]$User,
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$Record
    )
    $recorded = $Record['group']
    $name = if ($recorded -and $recorded['name']) { $recorded['name'] } else { Get-CorralUserGroupName -User $User }
    $group = Get-LocalGroup -Name $name -ErrorAction SilentlyContinue
    $problems = [System.Collections.Generic.List[string]]::new()
    $members = @()
    if ($group) {
        try {
            $members = @(Get-LocalGroupMember -Group $name -ErrorAction Stop | ForEach-Object { $_.SID.Value } | Sort-Object)
        } catch {
            $problems.Add("its members cannot be read ($($_.Exception.Message))")
        }
    }
    $expected = @(foreach ($kind in @('offline', 'online')) {
            if ($Record['identities'] -and $Record['identities'][$kind] -and $Record['identities'][$kind]['sid']) { $Record['identities'][$kind]['sid'] }
        }) | Sort-Object
    $facts = [ordered]@{
        name         = $name
        recorded     = [bool]($recorded -and $recorded['sid'])
        exists       = [bool]$group
        sidMatches   = [bool]($group -and $recorded -and $group.SID.Value -eq $recorded['sid'])
        sid          = if ($group) { $group.SID.Value } else { $null }
        members      = $members
        membersMatch = [bool]($group -and (@($members) -join ',') -eq (@($expected) -join ','))
        problems     = $problems
    }
    foreach ($check in @('recorded', 'exists', 'sidMatches', 'membersMatch')) {
        if (-not $facts[$check]) { $problems.Add("$check is false") }
    }
    if ($group -and -not $facts['membersMatch']) {
        $problems.Add("members are $(if ($members.Count) { $members -join ', ' } else { 'none' }); expected exactly $(@($expected) -join ', ')")
    }
    return $facts
}
