function Install-CorralGroup {
    <#
    .SYNOPSIS
    Creates the local group of all sandbox identities (CorralSandboxUsers) if it does not exist.

    .DESCRIPTION
    The group is what workspace, traverse and runner ACEs name, so an identity gets its access
    by membership. Idempotent: an existing group is kept (and reported unchanged). Creation is
    journaled, so Uninstall-Corral removes the group only if this installation created it.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Install-CorralGroup -Confirm:$false

    .OUTPUTS
    PSCustomObject with Name, Sid and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $name = (Get-CorralInstallation).SandboxGroup
    $group = Get-LocalGroup -Name $name -ErrorAction SilentlyContinue
    $changed = $false
    if (-not $group -and $PSCmdlet.ShouldProcess($name, 'Create local group')) {
        $null = Invoke-CorralJournaledChange -Kind 'group' -Scope 'machine' -Undo ([ordered]@{ name = $name }) -Description "Creating group $name" -Change {
            New-LocalGroup -Name $name -Description 'Corral sandbox identities' -ErrorAction Stop
        }
        $group = Get-LocalGroup -Name $name -ErrorAction Stop
        $changed = $true
    }
    [pscustomobject]@{
        Name    = $name
        Sid     = if ($group) { $group.SID.Value } else { $null }
        Changed = $changed
    }
}
