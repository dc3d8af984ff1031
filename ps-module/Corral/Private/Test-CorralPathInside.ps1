function Test-CorralPathInside {
    <#
    .SYNOPSIS
    True when a Windows path lies strictly inside a folder (case-insensitive, after `..` is resolved).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [string]$Folder
    )
    $full = [System.IO.Path]::GetFullPath($Path).TrimEnd('\')
    $base = [System.IO.Path]::GetFullPath($Folder).TrimEnd('\') + '\'
    return $full.Length -ge $base.Length -and $full.StartsWith($base, [StringComparison]::OrdinalIgnoreCase)
}
