function Get-CorralIdentityName {
    <#
    .SYNOPSIS
    The name of a real user's offline or online sandbox identity.

    .DESCRIPTION
    The same rule as orchestrator/identities.ts for Windows (Pester pins the same examples as
    test/unit/identities.test.ts): the real name is lower-cased (SAM names are case-insensitive);
    `<prefix>-off-<user>` / `<prefix>-on-<user>`, at most 20 characters. `<user>` is the name
    itself when it matches ^[a-z][a-z0-9]*$ and fits; otherwise its characters outside [a-z0-9]
    are removed, it is truncated so the whole name stays within 20, and `-` plus the first 8
    hex digits of SHA-256 of the lower-cased name are appended. A plain name never contains
    `-` and a hashed one always does, so the two kinds never collide. Both identities of one
    user share the user part (room is computed for the longer tag, `off`).

    .PARAMETER User
    The real user's name as given (alice, Alice, DOMAIN\alice).

    .PARAMETER Network
    Which identity: offline (no network) or online.

    .PARAMETER Prefix
    The identity prefix; default the installation's (`crl`, or the first 4 characters of a
    test installation's name).

    .EXAMPLE
    Get-CorralIdentityName -User alice -Network offline

    crl-off-alice

    .EXAMPLE
    Get-CorralIdentityName -User john.smith -Network online

    crl-on-joh-3b5ed8ad

    .OUTPUTS
    System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateSet('offline', 'online')]
        [string]$Network,
        [string]$Prefix = ''
    )
    $maxLength = 20
    $hashDigits = 8
    if (-not $Prefix) { $Prefix = (Get-CorralInstallation).IdentityPrefix }
    $normalised = $User.ToLowerInvariant()
    $tag = if ($Network -eq 'offline') { 'off' } else { 'on' }
    $room = $maxLength - "$Prefix-off-".Length
    if ($room -lt $hashDigits + 1) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralConfigInvalid' -Category InvalidArgument `
            -Message "The identity prefix '$Prefix' is too long." -TargetObject $Prefix))
    }
    if ($normalised -cmatch '^[a-z][a-z0-9]*$' -and $normalised.Length -le $room) {
        return "$Prefix-$tag-$normalised"
    }
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $digest = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($normalised))
    } finally {
        $sha.Dispose()
    }
    $hash = (-join ($digest | ForEach-Object { $_.ToString('x2') })).Substring(0, $hashDigits)
    $stem = $normalised -creplace '[^a-z0-9]', ''
    $stemRoom = [Math]::Max(0, $room - $hashDigits - 1)
    if ($stem.Length -gt $stemRoom) { $stem = $stem.Substring(0, $stemRoom) }
    return "$Prefix-$tag-$stem-$hash"
}
