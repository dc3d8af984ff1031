function Get-CorralAceCoverage {
    <#
    .SYNOPSIS
    The access-mask bits that explicit ACEs on a path already give a SID with the same type and flags.

    .DESCRIPTION
    -Acl is what Get-CorralFileAcl returns. Only explicit (not inherited) ACEs count: an
    inherited ACE belongs to another grant, and revoking that grant would take it away.
    Returns an int mask (0 when none).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$Acl,
        [Parameter(Mandatory)]
        [string]$Sid,
        [Parameter(Mandatory)]
        [ValidateSet('Allow', 'Deny')]
        [string]$Type,
        [Parameter(Mandatory)]
        [int]$Inheritance,
        [Parameter(Mandatory)]
        [int]$Propagation
    )
    $mask = 0
    foreach ($ace in @($Acl['Aces'])) {
        if ($ace['inherited']) { continue }
        if ($ace['sid'] -ne $Sid -or $ace['type'] -ne $Type) { continue }
        if ([int]$ace['inheritance'] -ne $Inheritance -or [int]$ace['propagation'] -ne $Propagation) { continue }
        $mask = $mask -bor [int]$ace['rights']
    }
    return $mask
}
