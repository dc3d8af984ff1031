function Set-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: writes one registry value (DWord or String), creating the key if it is missing.

    .DESCRIPTION
    The module writes the registry only through this function and Remove-CorralRegistryValue
    / Remove-CorralRegistryKey, so tests replace them.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [Parameter(Mandatory)]
        [string]$Name,
        [Parameter(Mandatory)]
        [object]$Value,
        [ValidateSet('DWord', 'String')]
        [string]$Kind = 'String'
    )
    if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Set registry value')) { return }
    if (-not (Test-Path -LiteralPath $Key)) { $null = New-Item -Path $Key -Force -ErrorAction Stop }
    $null = New-ItemProperty -LiteralPath $Key -Name $Name -PropertyType $Kind -Value $Value -Force -ErrorAction Stop
}
