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
    installations, it never widens one.
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
    $stateDir = Join-Path $programData $title
    $libDir = Join-Path $programFiles $title
    @{
        Name           = $name
        Title          = $title
        StateDir       = $stateDir
        StateFile      = Join-Path $stateDir 'state.json'
        JournalFile    = Join-Path $stateDir 'journal.jsonl'
        CredentialDir  = Join-Path $stateDir 'credentials'
        LogDir         = Join-Path $stateDir 'logs'
        LibDir         = $libDir
        RunnerNode     = Join-Path $libDir 'node.exe'
        RunnerEntry    = Join-Path $libDir 'app\dist\runner\main.js'
        SandboxGroup   = "${title}SandboxUsers"
        IdentityPrefix = if ($name -ceq 'corral') { 'crl' } else { $name.Substring(0, [Math]::Min(4, $name.Length)) }
        FirewallGroup  = $title
        RegistryKey    = "HKLM:\SOFTWARE\$title"
    }
}
