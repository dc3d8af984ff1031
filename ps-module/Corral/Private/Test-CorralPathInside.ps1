function Test-CorralPathInside {
    <#
    .SYNOPSIS
    True when a path lies strictly inside a folder (case-insensitive, after `..` is resolved).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [string]$Folder
    )
    $full = [System.IO.Path]::GetFullPath($Path).TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar)
    $base = [System.IO.Path]::GetFullPath($Folder).TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar) + [System.IO.Path]::DirectorySeparatorChar
    return $full.Length -ge $base.Length -and $full.StartsWith($base, [StringComparison]::OrdinalIgnoreCase)
}
