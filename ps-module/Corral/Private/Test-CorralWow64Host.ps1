function Test-CorralWow64Host {
    <#
    .SYNOPSIS
    Seam: whether this PowerShell is a 32-bit process on 64-bit Windows (WOW64).

    .DESCRIPTION
    [Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess. Intune's
    management extension (and some SCCM and GPO hosts) start install commands from a 32-bit
    process, whose `powershell.exe` is the 32-bit one under SysWOW64: its HKLM:\SOFTWARE is
    redirected to WOW6432Node and System32 to SysWOW64. install.ps1 relaunches itself in the
    64-bit PowerShell when this is true. A seam so that tests can answer it (the properties are
    read-only facts of the process).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    return ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess)
}
