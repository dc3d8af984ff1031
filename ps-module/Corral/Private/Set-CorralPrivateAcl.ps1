function Set-CorralPrivateAcl {
    <#
    .SYNOPSIS
    Replaces a file's or folder's ACL: protected, Administrators and SYSTEM full control, the given SIDs read.

    .DESCRIPTION
    Used for the state folder, the credential files and the installed runner. The owner is set
    to Administrators so that no unprivileged account keeps WRITE_DAC through ownership.
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
    $inherit = if ($Container) { [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit' } else { [System.Security.AccessControl.InheritanceFlags]::None }
    $none = [System.Security.AccessControl.PropagationFlags]::None
    $allow = [System.Security.AccessControl.AccessControlType]::Allow
    $acl = if ($Container) { [System.Security.AccessControl.DirectorySecurity]::new() } else { [System.Security.AccessControl.FileSecurity]::new() }
    $acl.SetAccessRuleProtection($true, $false)
    $administrators = [System.Security.Principal.SecurityIdentifier]::new('S-1-5-32-544')
    $system = [System.Security.Principal.SecurityIdentifier]::new('S-1-5-18')
    $acl.SetOwner($administrators)
    foreach ($sid in @($administrators, $system)) {
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($sid, 'FullControl', $inherit, $none, $allow))
    }
    $readRights = if ($ReadExecute) { 'ReadAndExecute' } else { 'Read' }
    foreach ($reader in $ReaderSids) {
        $sid = [System.Security.Principal.SecurityIdentifier]::new($reader)
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($sid, $readRights, $inherit, $none, $allow))
    }
    Set-CorralFileAcl -Path $Path -Acl $acl
}
