function Invoke-CorralJournaledChange {
    <#
    .SYNOPSIS
    Runs one change between its 'before' and 'after' journal lines.

    .DESCRIPTION
    Writes 'before' with the undo data, runs the script block, writes 'after'. If the change
    throws, no 'after' is written and the error propagates as CorralStepFailed (unless it is
    already a Corral error): the 'before' line stays so a re-run or teardown can converge.
    Returns the journal id.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string]$Kind,
        [Parameter(Mandatory)]
        [string]$Scope,
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$Undo,
        [Parameter(Mandatory)]
        [scriptblock]$Change,
        [Parameter(Mandatory)]
        [string]$Description
    )
    $id = [guid]::NewGuid().ToString()
    $null = Add-CorralJournalEntry -Phase before -Id $id -Kind $Kind -Scope $Scope -Undo $Undo -WhatIf:$false
    try {
        $null = & $Change
    } catch {
        if ("$($_.FullyQualifiedErrorId)" -like 'Corral*') { throw }
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category NotSpecified `
            -Message "${Description} failed: $($_.Exception.Message)" -InnerException $_.Exception))
    }
    $null = Add-CorralJournalEntry -Phase after -Id $id -Kind $Kind -Scope $Scope -WhatIf:$false
    return $id
}
