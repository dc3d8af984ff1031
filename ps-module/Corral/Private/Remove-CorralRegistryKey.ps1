function Remove-CorralRegistryKey {
    <#
    .SYNOPSIS
    Seam: removes a registry key and everything under it, if it is there.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Key
    )
    if (-not (Test-Path -LiteralPath $Key)) { return }
    if (-not $PSCmdlet.ShouldProcess($Key, 'Remove registry key')) { return }
    Remove-Item -LiteralPath $Key -Recurse -Force -ErrorAction Stop
}
