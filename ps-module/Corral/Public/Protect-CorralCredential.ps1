function Protect-CorralCredential {
    <#
    .SYNOPSIS
    Encrypts an identity's password with DPAPI (LocalMachine scope) and returns the blob as base64.

    .DESCRIPTION
    ProtectedData.Protect(UTF-8 bytes of the password, entropy, LocalMachine) with entropy =
    UTF-8 bytes of "corral:<identity name>" — the contract with the Windows runner's launcher,
    which calls CryptUnprotectData with the same entropy. LocalMachine scope lets any process
    on this machine decrypt; what keeps the blob from other users is the credential file's ACL
    (Save-CorralCredential), and the entropy binds a blob to its identity so blobs cannot be
    swapped between entries. Changes nothing on the machine; ShouldProcess only lets -WhatIf
    skip the work.

    .PARAMETER Identity
    The identity's account name (part of the entropy).

    .PARAMETER Password
    The password, as a SecureString.

    .EXAMPLE
    Protect-CorralCredential -Identity crl-off-alice -Password $secure

    .OUTPUTS
    System.String (base64)
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Identity,
        [Parameter(Mandatory)]
        [System.Security.SecureString]$Password
    )
    if (-not $PSCmdlet.ShouldProcess($Identity, 'Protect password with DPAPI')) { return $null }
    $pointer = [System.Runtime.InteropServices.Marshal]::SecureStringToGlobalAllocUnicode($Password)
    $plain = $null
    try {
        $plain = [System.Text.Encoding]::UTF8.GetBytes([System.Runtime.InteropServices.Marshal]::PtrToStringUni($pointer))
        $entropy = [System.Text.Encoding]::UTF8.GetBytes("corral:$Identity")
        $blob = Protect-CorralBytes -Bytes $plain -Entropy $entropy
        return [Convert]::ToBase64String($blob)
    } finally {
        [System.Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($pointer)
        if ($plain) { [Array]::Clear($plain, 0, $plain.Length) }
    }
}
