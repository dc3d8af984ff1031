function New-CorralCapabilitySid {
    <#
    .SYNOPSIS
    A fresh random SID of the form S-1-5-21-x-y-z-rid for one workspace.

    .DESCRIPTION
    The runner's restricted token lists it as a restricting SID: a write-restricted token may
    write only where an ACE names one of its restricting SIDs, so a session writes only the
    workspace whose capability SID it carries. 128 random bits: it never matches a real
    domain or machine SID by accident. Kept in state.json.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $bytes = [byte[]]::new(16)
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    $parts = foreach ($i in 0..3) { [BitConverter]::ToUInt32($bytes, $i * 4) }
    'S-1-5-21-{0}-{1}-{2}-{3}' -f $parts[0], $parts[1], $parts[2], $parts[3]
}
