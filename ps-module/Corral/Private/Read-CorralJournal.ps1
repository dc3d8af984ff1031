function Read-CorralJournal {
    <#
    .SYNOPSIS
    The journal's changes that are still in effect, oldest first.

    .DESCRIPTION
    Pairs the lines by id: a change is in effect when it has a 'before' line and no 'undone'
    line (whether or not its 'after' line was written: a crash between the two leaves it
    possibly half done). Each result has id, kind, scope, undo and done (an 'after' exists).
    A line that is not JSON is CorralStateCorrupt: teardown must not skip changes silently.
    -Scope filters by scope (exact, case-insensitive: Windows paths).
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.IDictionary])]
    param(
        [string]$Scope = ''
    )
    $installation = Get-CorralInstallation
    $path = $installation.JournalFile
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { return }
    $byId = [ordered]@{}
    $undone = @{}
    $done = @{}
    $lineNumber = 0
    foreach ($line in [System.IO.File]::ReadAllLines($path, [System.Text.UTF8Encoding]::new($false))) {
        $lineNumber++
        if ([string]::IsNullOrWhiteSpace($line)) { continue }
        try {
            $entry = ConvertFrom-CorralJson -Json $line
        } catch {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStateCorrupt' -Category ReadError `
                -Message "$path line ${lineNumber} is not JSON: $($_.Exception.Message)" -TargetObject $path))
        }
        switch ($entry['phase']) {
            'before' { if (-not $byId.Contains($entry['id'])) { $byId[$entry['id']] = $entry } }
            'after' { $done[$entry['id']] = $true }
            'undone' { $undone[$entry['id']] = $true }
        }
    }
    foreach ($id in $byId.Keys) {
        if ($undone.ContainsKey($id)) { continue }
        $entry = $byId[$id]
        if ($Scope -and $entry['scope'] -ne $Scope) { continue }
        [ordered]@{
            id    = $id
            kind  = $entry['kind']
            scope = $entry['scope']
            undo  = $entry['undo']
            done  = $done.ContainsKey($id)
        }
    }
}
