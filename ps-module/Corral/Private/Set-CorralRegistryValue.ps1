function Set-CorralRegistryValue {
    <#
    .SYNOPSIS
    Seam: writes one registry value (DWord or String), creating the key if it is missing.

    .DESCRIPTION
    The module writes the registry only through this function and Remove-CorralRegistryValue
    / Remove-CorralRegistryKey, so tests replace them.
    The key is opened in the 64-bit registry view unless -View says otherwise
    (Open-CorralRegistryBaseKey says why).
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
        [string]$Kind = 'String',
        [ValidateSet('Registry64', 'Registry32', 'Default')]
        [string]$View = 'Registry64'
    )
    if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Set registry value')) { return }
    $hive = Open-CorralRegistryBaseKey -Key $Key -View $View
    try {
        $opened = $hive.Base.CreateSubKey($hive.SubKey, $true)
        try {
            $data = if ($Kind -eq 'DWord') { [int]$Value } else { [string]$Value }
            $opened.SetValue($Name, $data, [Microsoft.Win32.RegistryValueKind]$Kind)
        } finally { $opened.Dispose() }
    } finally { $hive.Base.Dispose() }
}
