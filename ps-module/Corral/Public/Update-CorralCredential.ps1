function Update-CorralCredential {
    <#
    .SYNOPSIS
    Rotates an identity's password: a new random password on the account and in the credential store.

    .DESCRIPTION
    Generates a new 40-character password from the OS RNG, sets it on the local account
    (Set-LocalUser), then stores it with Save-CorralCredential. If storing fails after the
    account changed, sessions cannot start until this runs again (fail closed: no old password
    keeps working). Sessions already running are not affected (their logon is done).

    .PARAMETER User
    The real user's name as recorded.

    .PARAMETER Network
    Which identity: offline or online.

    .PARAMETER Force
    Skip the confirmation prompt (ConfirmImpact is High).

    .EXAMPLE
    Update-CorralCredential -User alice -Network offline -Force

    .OUTPUTS
    PSCustomObject with Name, Path and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [Parameter(Mandatory)]
        [ValidateSet('offline', 'online')]
        [string]$Network,
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $state = Read-CorralStateFile
    $record = Get-CorralRecordedIdentity -State $state -User $User -Network $Network -Remedy 'run Install-Corral first.'
    $name = $record['name']
    if (-not $PSCmdlet.ShouldProcess($name, 'Rotate password')) {
        return [pscustomobject]@{ Name = $name; Path = $null; Changed = $false }
    }
    $password = New-CorralPassword
    try {
        Set-LocalUser -SID $record['sid'] -Password $password -ErrorAction Stop
    } catch {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category NotSpecified -TargetObject $name `
            -Message "Setting a new password on $name failed: $($_.Exception.Message)" -InnerException $_.Exception))
    }
    $saved = Save-CorralCredential -User $User -Network $Network -Identity $name -Password $password -Confirm:$false
    [pscustomobject]@{ Name = $name; Path = $saved.Path; Changed = $true }
}
