function Get-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: one value of a registry key (HKLM:\...), or $null when the key or the value is missing.

    .DESCRIPTION
    The module reads the registry only through this function and Test-CorralRegistryKey
    (the registry provider exists only on Windows), so tests replace them.
    The key is opened in the 64-bit registry view unless -View says otherwise
    (Open-CorralRegistryBaseKey says why).
    #>
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [Parameter(Mandatory)]
        [string]$Name,
        [ValidateSet('Registry64', 'Registry32', 'Default')]
        [string]$View = 'Registry64'
    )
    $hive = Open-CorralRegistryBaseKey -Key $Key -View $View
    try {
        $opened = $hive.Base.OpenSubKey($hive.SubKey, $false)
        if ($null -eq $opened) { return $null }
        try { return $opened.GetValue($Name, $null) } finally { $opened.Dispose() }
    } finally { $hive.Base.Dispose() }
}
