function Remove-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: removes one registry value if it is there (nothing when the key or value is missing).

    .DESCRIPTION
    In the 64-bit registry view unless -View says otherwise (Open-CorralRegistryBaseKey says why).
    #>
    [CmdletBinding(SupportsShouldProcess)]
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
        $opened = $hive.Base.OpenSubKey($hive.SubKey, $true)
        if ($null -eq $opened) { return }
        try {
            if (@($opened.GetValueNames()) -notcontains $Name) { return }
            if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Remove registry value')) { return }
            $opened.DeleteValue($Name, $false)
        } finally { $opened.Dispose() }
    } finally { $hive.Base.Dispose() }
}
