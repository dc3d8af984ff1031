function Get-CorralInstallation {
    <#
    .SYNOPSIS
    Names and paths of the Corral installation this module acts on.

    .DESCRIPTION
    Mirrors core/installation.ts (windowsInstallation): the installation name is
    `corral` unless $env:CORRAL_INSTANCE names a private test installation (same pattern as
    the TypeScript side: ^[a-z][a-z0-9]{1,11}$). Every name the module puts on the machine
    derives from it, so integration tests never touch a real installation.
    Threat model: only elevated callers run this module; the variable chooses among
    installations, it never widens one. Paths are built with [IO.Path]::Combine (not Join-Path,
    which needs the drive to exist), so they are computed the same way on any machine.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()

    $name = $env:CORRAL_INSTANCE
    if ([string]::IsNullOrEmpty($name)) { $name = 'corral' }
    if ($name -cnotmatch '^[a-z][a-z0-9]{1,11}$') {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralConfigInvalid' `
            -Message "CORRAL_INSTANCE must match ^[a-z][a-z0-9]{1,11}$; found '$name'." -Category InvalidArgument))
    }
    $title = if ($name -ceq 'corral') { 'Corral' } else { $name }
    $programData = if ($env:ProgramData) { $env:ProgramData } else { 'C:\ProgramData' }
    $programFiles = if ($env:ProgramFiles) { $env:ProgramFiles } else { 'C:\Program Files' }
    $stateDir = [System.IO.Path]::Combine($programData, $title)
    $libDir = [System.IO.Path]::Combine($programFiles, $title)
    @{
        Name           = $name
        Title          = $title
        StateDir       = $stateDir
        StateFile      = [System.IO.Path]::Combine($stateDir, 'state.json')
        JournalFile    = [System.IO.Path]::Combine($stateDir, 'journal.jsonl')
        CredentialDir  = [System.IO.Path]::Combine($stateDir, 'credentials')
        LogDir         = [System.IO.Path]::Combine($stateDir, 'logs')
        LibDir         = $libDir
        RunnerNode     = [System.IO.Path]::Combine($libDir, 'node.exe')
        RunnerEntry    = [System.IO.Path]::Combine($libDir, 'app', 'dist', 'runner', 'main.js')
        SandboxGroup   = "${title}SandboxUsers"
        IdentityPrefix = if ($name -ceq 'corral') { 'crl' } else { $name.Substring(0, [Math]::Min(4, $name.Length)) }
        FirewallGroup  = $title
        RegistryKey    = "HKLM:\SOFTWARE\$title"
    }
}
