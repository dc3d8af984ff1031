function Get-CorralUserGroupName {
    <#
    .SYNOPSIS
    The name of a real user's own local group (its members: exactly that user's two identities).

    .DESCRIPTION
    The same rule as userGroupName in orchestrator/identities.ts: `<prefix>-grp-<user part>`,
    where `<user part>` is exactly the one of the user's identity names (Get-CorralIdentityName:
    the plain lower-cased name, or a stem plus 8 hex digits of SHA-256). `grp` has the length
    of `off`, for which the identities' room is computed, so the group name also stays within
    20 characters (local group names may be longer, but one limit for all Corral names keeps
    them readable in lusrmgr and icacls). Account and group names share one namespace on
    Windows: the tag `grp` never equals `off` or `on`, so a group name never equals an
    identity name.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [string]$Prefix = ''
    )
    if (-not $Prefix) { $Prefix = (Get-CorralInstallation).IdentityPrefix }
    $offline = Get-CorralIdentityName -User $User -Network offline -Prefix $Prefix
    return "$Prefix-grp-" + $offline.Substring("$Prefix-off-".Length)
}
