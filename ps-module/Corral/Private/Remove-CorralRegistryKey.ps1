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
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [switch]$OnlyIfEmpty
    )
    if (-not (Test-Path -LiteralPath $Key)) { return }
    if ($OnlyIfEmpty) {
        $item = Get-Item -LiteralPath $Key -ErrorAction Stop
        if ($item.ValueCount -gt 0 -or $item.SubKeyCount -gt 0) { return }
    }
    if (-not $PSCmdlet.ShouldProcess($Key, 'Remove registry key')) { return }
    Remove-Item -LiteralPath $Key -Recurse -Force -ErrorAction Stop
}
