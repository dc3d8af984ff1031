function Test-CorralRegistryKey {
    <#
    .SYNOPSIS
    Seam: whether a registry key (HKLM:\...) exists.

    .DESCRIPTION
    In the 64-bit registry view unless -View says otherwise (Open-CorralRegistryBaseKey says why).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [ValidateSet('Registry64', 'Registry32', 'Default')]
        [string]$View = 'Registry64'
    )
    $hive = Open-CorralRegistryBaseKey -Key $Key -View $View
    try {
        $opened = $hive.Base.OpenSubKey($hive.SubKey, $false)
        if ($null -eq $opened) { return $false }
        $opened.Dispose()
        return $true
    } finally { $hive.Base.Dispose() }
}
