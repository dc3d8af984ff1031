function Read-CorralStateFile {
    <#
    .SYNOPSIS
    The recorded state (%ProgramData%\Corral\state.json) as nested hashtables, or a new empty one.

    .DESCRIPTION
    A missing file means nothing is provisioned yet (an empty state is returned). A file that
    cannot be parsed, or has another version or installation name, is CorralStateCorrupt:
    never guess, never overwrite it silently.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.IDictionary])]
    param()
    $installation = Get-CorralInstallation
    $path = $installation.StateFile
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return [ordered]@{ version = 1; installation = $installation.Name; users = [ordered]@{}; runner = $null }
    }
    try {
        $text = [System.IO.File]::ReadAllText($path, [System.Text.UTF8Encoding]::new($false, $true))
        $state = ConvertFrom-CorralJson -Json $text
    } catch {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStateCorrupt' -Category ReadError `
            -Message "Cannot read $path as UTF-8 JSON: $($_.Exception.Message)" -TargetObject $path -InnerException $_.Exception))
    }
    if ($state -isnot [System.Collections.IDictionary] -or $state['version'] -ne 1 -or $state['installation'] -cne $installation.Name) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStateCorrupt' -Category InvalidData `
            -Message "$path is not a version 1 state of installation '$($installation.Name)'." -TargetObject $path))
    }
    if ($state['users'] -isnot [System.Collections.IDictionary]) { $state['users'] = [ordered]@{} }
    return $state
}
