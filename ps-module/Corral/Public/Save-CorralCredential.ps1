function Save-CorralCredential {
    <#
    .SYNOPSIS
    Stores an identity's DPAPI-protected password in the real user's credential file.

    .DESCRIPTION
    %ProgramData%\Corral\credentials\<real user SID>.json =
    { "offline": {"user": "<identity>", "protected": "<base64>"}, "online": {…} }.
    The file's ACL is replaced every time: protected from inheritance, the real user read,
    SYSTEM and Administrators full control — nobody else, sandbox identities included, can read
    it. Written to a temporary file with that ACL first, then moved into place, so the password
    blob is never readable with a wider ACL. Creating the file is journaled (scope user:<name>).

    .PARAMETER User
    The real user's name.

    .PARAMETER Network
    Which entry: offline or online.

    .PARAMETER Identity
    The identity's account name (stored, and part of the DPAPI entropy).

    .PARAMETER Password
    The identity's password, as a SecureString.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Save-CorralCredential -User alice -Network offline -Identity crl-off-alice -Password $secure -Confirm:$false

    .OUTPUTS
    PSCustomObject with Path and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateSet('offline', 'online')]
        [string]$Network,
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Identity,
        [Parameter(Mandatory)]
        [System.Security.SecureString]$Password,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    $realUser = Resolve-CorralRealUser -User $User
    $path = [System.IO.Path]::Combine($installation.CredentialDir, "$($realUser.Sid).json")
    if (-not $PSCmdlet.ShouldProcess($path, "Store the $Network credential of $Identity")) {
        return [pscustomobject]@{ Path = $path; Changed = $false }
    }
    Initialize-CorralStateDirectory -Confirm:$false
    $store = [ordered]@{}
    if (Test-Path -LiteralPath $path -PathType Leaf) {
        try {
            $store = ConvertFrom-CorralJson -Json ([System.IO.File]::ReadAllText($path))
        } catch {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStateCorrupt' -Category ReadError -TargetObject $path `
                -Message "Cannot read the credential file ${path}: $($_.Exception.Message). Remove it and run Update-CorralCredential."))
        }
    }
    $store[$Network] = [ordered]@{ user = $Identity; protected = (Protect-CorralCredential -Identity $Identity -Password $Password -Confirm:$false) }
    $temp = "$path.tmp"
    $write = {
        [System.IO.File]::WriteAllText($temp, '', [System.Text.UTF8Encoding]::new($false))
        Set-CorralPrivateAcl -Path $temp -ReaderSids @($realUser.Sid) -Confirm:$false
        [System.IO.File]::WriteAllText($temp, (ConvertTo-Json -InputObject $store -Depth 5), [System.Text.UTF8Encoding]::new($false))
        Move-Item -LiteralPath $temp -Destination $path -Force -ErrorAction Stop
    }
    if (Test-Path -LiteralPath $path -PathType Leaf) {
        $null = & $write
    } else {
        $null = Invoke-CorralJournaledChange -Kind 'credential' -Scope "user:$User" -Undo ([ordered]@{ path = $path }) -Description "Writing $path" -Change $write
    }
    [pscustomobject]@{ Path = $path; Changed = $true }
}
