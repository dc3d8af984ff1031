function Get-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: one value of a registry key (HKLM:\...), or $null when the key or the value is missing.

    .DESCRIPTION
    The module reads the registry only through this function and Test-CorralRegistryKey
    (the registry provider exists only on Windows), so tests replace them.
    #>
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [Parameter(Mandatory)]
        [string]$Name
    )
    if (-not (Test-Path -LiteralPath $Key)) { return $null }
    $item = Get-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item -or $null -eq $item.PSObject.Properties[$Name]) { return $null }
    return $item.$Name
}
