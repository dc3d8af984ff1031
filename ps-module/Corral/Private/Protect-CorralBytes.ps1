function Protect-CorralBytes {
    <#
    .SYNOPSIS
    Seam: DPAPI (CryptProtectData, LocalMachine scope) of a byte array with entropy; returns the blob.

    .DESCRIPTION
    The module's only use of ProtectedData (Windows-only: other platforms throw), so tests
    replace it. LocalMachine scope: the launcher, running as the real user, decrypts it; the
    credential file's ACL (Save-CorralCredential) is what keeps other accounts out.
    #>
    [CmdletBinding()]
    [OutputType([byte[]])]
    param(
        [Parameter(Mandatory)]
        [byte[]]$Bytes,
        [Parameter(Mandatory)]
        [byte[]]$Entropy
    )
    if (-not ('System.Security.Cryptography.ProtectedData' -as [type])) {
        try { Add-Type -AssemblyName 'System.Security' -ErrorAction Stop }
        catch { Add-Type -AssemblyName 'System.Security.Cryptography.ProtectedData' -ErrorAction Stop }
    }
    return , [System.Security.Cryptography.ProtectedData]::Protect($Bytes, $Entropy, [System.Security.Cryptography.DataProtectionScope]::LocalMachine)
}
