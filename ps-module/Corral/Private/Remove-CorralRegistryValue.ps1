function Remove-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: removes one registry value if it is there (nothing when the key or value is missing).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [Parameter(Mandatory)]
        [string]$Name
    )
    if (-not (Test-Path -LiteralPath $Key)) { return }
    if (-not (Get-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction SilentlyContinue)) { return }
    if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Remove registry value')) { return }
    Remove-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction Stop
}
