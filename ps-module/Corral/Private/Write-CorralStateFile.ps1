function Write-CorralStateFile {
    <#
    .SYNOPSIS
    Writes state.json atomically (temporary file in the same folder, then a replace).

    .DESCRIPTION
    UTF-8 without BOM. The folder's ACL (Initialize-CorralStateDirectory) makes it readable
    by Users and writable by Administrators and SYSTEM only; the file inherits it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$State
    )
    $installation = Get-CorralInstallation
    if (-not $PSCmdlet.ShouldProcess($installation.StateFile, 'Write Corral state')) { return }
    Initialize-CorralStateDirectory
    $json = ConvertTo-Json -InputObject $State -Depth 20
    $temp = "$($installation.StateFile).tmp"
    [System.IO.File]::WriteAllText($temp, $json, [System.Text.UTF8Encoding]::new($false))
    Move-Item -LiteralPath $temp -Destination $installation.StateFile -Force
}
