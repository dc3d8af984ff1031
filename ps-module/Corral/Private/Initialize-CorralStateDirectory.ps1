function Initialize-CorralStateDirectory {
    <#
    .SYNOPSIS
    Creates %ProgramData%\Corral (and credentials\) with their ACLs, if missing.

    .DESCRIPTION
    State folder: protected from inheritance; Administrators and SYSTEM full control,
    Users read (the runner and an unelevated `corral run` read state.json).
    Credentials folder: Administrators and SYSTEM only; each credential file then gets its own
    ACL adding its real user (Save-CorralCredential). Threat model: %ProgramData% lets Users
    create folders, so a folder that already exists is re-ACLed rather than trusted.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param()
    $installation = Get-CorralInstallation
    foreach ($dir in @($installation.StateDir, $installation.CredentialDir, $installation.LogDir)) {
        if (-not (Test-Path -LiteralPath $dir -PathType Container)) {
            if (-not $PSCmdlet.ShouldProcess($dir, 'Create folder')) { continue }
            $null = New-Item -ItemType Directory -Path $dir -Force
        }
        $readers = if ($dir -eq $installation.CredentialDir) { @() } else { @('S-1-5-32-545') } # BUILTIN\Users
        Set-CorralPrivateAcl -Path $dir -ReaderSids $readers -Container
    }
}
