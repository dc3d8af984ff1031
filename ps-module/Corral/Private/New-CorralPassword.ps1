function New-CorralPassword {
    <#
    .SYNOPSIS
    A random password (default 40 characters) from the OS's cryptographic RNG, as a SecureString.

    .DESCRIPTION
    At least one upper-case letter, lower-case letter, digit and symbol (so any complexity
    policy is met), the rest from the whole alphabet, then shuffled; every choice is uniform
    (rejection sampling, no modulo bias). Nobody ever types it: the launcher reads it from the
    DPAPI store.
    #>
    [CmdletBinding()]
    [OutputType([System.Security.SecureString])]
    param(
        [ValidateRange(32, 127)]
        [int]$Length = 40
    )
    $classes = @('ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-.:=?@_~')
    $all = -join $classes
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try {
        $buffer = [byte[]]::new(4)
        # Uniform integer in [0, $n): reject the top partial block of the 32-bit range.
        $next = {
            param([uint32]$n)
            $limit = [uint64]4294967296 - ([uint64]4294967296 % $n)
            do {
                $rng.GetBytes($buffer)
                $value = [uint64][BitConverter]::ToUInt32($buffer, 0)
            } while ($value -ge $limit)
            [int]($value % $n)
        }
        $chars = [System.Collections.Generic.List[char]]::new()
        foreach ($class in $classes) { $chars.Add($class[(& $next $class.Length)]) }
        while ($chars.Count -lt $Length) { $chars.Add($all[(& $next $all.Length)]) }
        for ($i = $chars.Count - 1; $i -gt 0; $i--) {
            $j = & $next ($i + 1)
            $tmp = $chars[$i]; $chars[$i] = $chars[$j]; $chars[$j] = $tmp
        }
        $secure = [System.Security.SecureString]::new()
        foreach ($c in $chars) { $secure.AppendChar($c) }
        $secure.MakeReadOnly()
        return $secure
    } finally {
        $rng.Dispose()
    }
}
