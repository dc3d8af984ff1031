function Add-CorralJournalEntry {
    <#
    .SYNOPSIS
    Appends one line to %ProgramData%\Corral\journal.jsonl and returns the entry.

    .DESCRIPTION
    Every change is journaled twice: phase 'before' (written before the change, with what
    undoes it) and phase 'after' (once it is done). Revoke-* functions append phase 'undone'
    for the entries they reverse. Uninstall-Corral undoes, newest first, every entry that has
    a 'before' and no 'undone' — a change whose 'after' is missing may be half done, so its
    undo must tolerate the thing being absent. Kinds and their undo data:
      group {name} (scope machine: the sandbox group; usergroup:<user>: that user's own
      group); user {name, sid}; hidden {name}; profile {sid}; credential {path};
      firewallRule {name}; ace {path, sid, rights, type, inheritance, propagation};
      directory {path}.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.Collections.IDictionary])]
    param(
        [Parameter(Mandatory)]
        [ValidateSet('before', 'after', 'undone')]
        [string]$Phase,
        [Parameter(Mandatory)]
        [string]$Id,
        [string]$Kind = '',
        [string]$Scope = '',
        [System.Collections.IDictionary]$Undo = $null
    )
    $installation = Get-CorralInstallation
    $entry = [ordered]@{
        time  = [DateTime]::UtcNow.ToString('o')
        phase = $Phase
        id    = $Id
        kind  = $Kind
        scope = $Scope
        undo  = $Undo
    }
    if (-not $PSCmdlet.ShouldProcess($installation.JournalFile, "Journal $Phase $Kind $Id")) { return $entry }
    Initialize-CorralStateDirectory
    $line = (ConvertTo-Json -InputObject $entry -Depth 10 -Compress) + "`n"
    [System.IO.File]::AppendAllText($installation.JournalFile, $line, [System.Text.UTF8Encoding]::new($false))
    return $entry
}
