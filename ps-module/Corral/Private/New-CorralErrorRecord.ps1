function New-CorralErrorRecord {
    <#
    .SYNOPSIS
    An ErrorRecord with one of the module's stable ErrorIds.

    .DESCRIPTION
    Public functions throw these with $PSCmdlet.ThrowTerminatingError; the orchestrator maps
    the ErrorId (orchestrator/provision/windows/error-map.ts). The list of ErrorIds is fixed:
    test/static/ps-module.test.ts checks that the module uses no other.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)]
        [ValidateSet('CorralNotElevated', 'CorralToolMissing', 'CorralConfigInvalid', 'CorralWorkspaceInvalid',
            'CorralWorkspaceNotOwned', 'CorralFirewallIneffective', 'CorralUserExists', 'CorralNotProvisioned',
            'CorralStepFailed', 'CorralStateCorrupt', 'CorralOperationUnknown', 'CorralArgumentsInvalid', 'CorralWorkspaceInUse')]
        [string]$ErrorId,
        [Parameter(Mandatory)]
        [string]$Message,
        [System.Management.Automation.ErrorCategory]$Category = 'NotSpecified',
        [object]$TargetObject = $null,
        [System.Exception]$InnerException = $null
    )
    $exception = if ($InnerException) {
        [System.InvalidOperationException]::new($Message, $InnerException)
    } else {
        [System.InvalidOperationException]::new($Message)
    }
    [System.Management.Automation.ErrorRecord]::new($exception, $ErrorId, $Category, $TargetObject)
}
