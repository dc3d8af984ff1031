function Get-CorralIdentityProcess {
    <#
    .SYNOPSIS
    The ids of the processes running as a local account: a session of a sandbox identity.

    .DESCRIPTION
    Get-Process -IncludeUserName (it needs elevation to see other accounts' processes; the
    callers run elevated), kept where UserName is <this computer>\<Name>, without case: the
    sandbox identities are local accounts. A seam: the simulated Windows replaces it
    (test/windows-sim/CorralWindowsSim.psm1).

    .PARAMETER Name
    The local account's name (as state.json records the identity).

    .EXAMPLE
    Get-CorralIdentityProcess -Name crl-off-alice

    .OUTPUTS
    System.Int32 (process ids), none when nothing runs as the account.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Name
    )
    $account = "$([Environment]::MachineName)\$Name"
    foreach ($process in @(Get-Process -IncludeUserName -ErrorAction SilentlyContinue)) {
        if ($process.UserName -and [string]::Equals([string]$process.UserName, $account, [StringComparison]::OrdinalIgnoreCase)) { $process.Id }
    }
}
