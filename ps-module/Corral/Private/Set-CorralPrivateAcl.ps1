function Set-CorralPrivateAcl {
    <#
    .SYNOPSIS
    Replaces a file's or folder's ACL: protected, Administrators and SYSTEM full control, the given SIDs read.

    .DESCRIPTION
    Used for the state folder, the credential files and the installed runner. The owner is set
    to Administrators so that no unprivileged account keeps WRITE_DAC through ownership.
    Decides the ACEs (here) and writes them through the Set-CorralFileAcl seam.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [string[]]$ReaderSids = @(),
        [switch]$Container,
        [switch]$ReadExecute
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Set protected ACL')) { return }
    $inherit = if ($Container) { [int][System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit' } else { 0 }
    $full = [int][System.Security.AccessControl.FileSystemRights]::FullControl
    $read = if ($ReadExecute) { [int][System.Security.AccessControl.FileSystemRights]'ReadAndExecute, Synchronize' } else { [int][System.Security.AccessControl.FileSystemRights]'Read, Synchronize' }
    $aces = [System.Collections.Generic.List[System.Collections.IDictionary]]::new()
    foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) { # BUILTIN\Administrators, NT AUTHORITY\SYSTEM
        $aces.Add([ordered]@{ sid = $sid; rights = $full; type = 'Allow'; inheritance = $inherit; propagation = 0 })
    }
    foreach ($reader in $ReaderSids) {
        $aces.Add([ordered]@{ sid = $reader; rights = $read; type = 'Allow'; inheritance = $inherit; propagation = 0 })
    }
    Set-CorralFileAcl -Path $Path -Owner 'S-1-5-32-544' -Aces $aces.ToArray() -Confirm:$false
}
