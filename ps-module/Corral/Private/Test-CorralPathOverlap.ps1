function Test-CorralPathOverlap {
    <#
    .SYNOPSIS
    True when two paths are the same, or one lies inside the other (case-insensitive).

    .DESCRIPTION
    Used to keep read grants off denyRead paths: a grant on a parent of a denyRead path would
    expose it through inheritance, a grant inside one would expose part of it.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [string]$Other
    )
    $separator = [System.IO.Path]::DirectorySeparatorChar
    $a = $Path.TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar) + $separator
    $b = $Other.TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar) + $separator
    return $a.StartsWith($b, [StringComparison]::OrdinalIgnoreCase) -or $b.StartsWith($a, [StringComparison]::OrdinalIgnoreCase)
}
