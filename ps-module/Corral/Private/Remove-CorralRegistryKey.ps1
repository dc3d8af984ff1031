function Remove-CorralRegistryKey {
    <#
    .SYNOPSIS
    Seam: removes a registry key and everything under it, if it is there.

    .DESCRIPTION
    With -OnlyIfEmpty the key goes only when it holds no value and no subkey (a key Corral
    created that someone else has since put values in stays).

    .PARAMETER Key
    The key (HKLM:\...).

    .PARAMETER OnlyIfEmpty
    Remove the key only when it has no values and no subkeys.

    .PARAMETER View
    The registry view: Registry64 (default; Open-CorralRegistryBaseKey says why), Registry32 or Default.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [switch]$OnlyIfEmpty,
        [ValidateSet('Registry64', 'Registry32', 'Default')]
        [string]$View = 'Registry64'
    )
    $hive = Open-CorralRegistryBaseKey -Key $Key -View $View
    try {
        $opened = $hive.Base.OpenSubKey($hive.SubKey, $false)
        if ($null -eq $opened) { return }
        try {
            if ($OnlyIfEmpty -and ($opened.ValueCount -gt 0 -or $opened.SubKeyCount -gt 0)) { return }
        } finally { $opened.Dispose() }
        if (-not $PSCmdlet.ShouldProcess($Key, 'Remove registry key')) { return }
        $hive.Base.DeleteSubKeyTree($hive.SubKey, $false)
    } finally { $hive.Base.Dispose() }
}
