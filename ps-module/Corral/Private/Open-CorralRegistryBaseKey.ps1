function Open-CorralRegistryBaseKey {
    <#
    .SYNOPSIS
    Seam: the hive of a registry key path (HKLM:\... or HKCU:\...) opened in one registry view, and the subkey path below it.

    .DESCRIPTION
    The module's only call of [Microsoft.Win32.RegistryKey]::OpenBaseKey; the other registry
    seams (Get-, Set-, Test-, Remove-CorralRegistry*) work on what it returns, so tests off
    Windows replace it with an in-memory hive.

    The view is the 64-bit one unless asked otherwise: a 32-bit process on 64-bit Windows (an
    Intune or SCCM host) that writes HKLM:\SOFTWARE\Corral through the registry provider writes
    HKLM\SOFTWARE\WOW6432Node\Corral, where neither a detection rule of a 64-bit agent nor the
    64-bit Corral looks. RegistryView.Registry64 reaches the real key from either; on 32-bit
    Windows it is the only view.

    Returns @{ Base = <RegistryKey of the hive>; SubKey = 'SOFTWARE\...' }; the caller disposes Base.

    .PARAMETER Key
    HKLM:\<path> or HKCU:\<path>.

    .PARAMETER View
    Registry64 (default), Registry32, or Default (the process's own).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [string]$Key,
        [ValidateSet('Registry64', 'Registry32', 'Default')]
        [string]$View = 'Registry64'
    )
    if ($Key -notmatch '^(HKLM|HKCU):\\([^\\].*)$') {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralArgumentsInvalid' `
            -Message "A registry key must be HKLM:\<path> or HKCU:\<path>; found '$Key'." -Category InvalidArgument))
    }
    $hive = if ($Matches[1] -eq 'HKLM') { [Microsoft.Win32.RegistryHive]::LocalMachine } else { [Microsoft.Win32.RegistryHive]::CurrentUser }
    $subKey = $Matches[2].TrimEnd('\')
    return @{ Base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($hive, [Microsoft.Win32.RegistryView]$View); SubKey = $subKey }
}
