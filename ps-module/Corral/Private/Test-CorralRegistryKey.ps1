function Test-CorralRegistryKey {
    <#
    .SYNOPSIS
    Seam: whether a registry key (HKLM:\...) exists.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)]
        [string]$Key
    )
    return [bool](Test-Path -LiteralPath $Key)
}
