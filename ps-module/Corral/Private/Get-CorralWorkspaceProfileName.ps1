function Get-CorralWorkspaceProfileName {
    <#
    .SYNOPSIS
    The name of a workspace's own profile folder under an identity's profile: ws-<16 hex digits>.

    .DESCRIPTION
    The first 16 hex digits of the SHA-256 of the workspace path as UTF-8, after "ws-": the
    same name the runners compute (core/workspace-id.ts; the Pester test and
    test/unit/workspace-id.test.ts share their test vectors). Pass the path exactly as the
    state file records it: Windows compares paths without case, but the name is of the spelling.
    Pure: no Windows API.

    .PARAMETER Path
    The workspace path as state.json records it.

    .EXAMPLE
    Get-CorralWorkspaceProfileName -Path 'C:\src\app'   # ws-223479b1852924db

    .OUTPUTS
    System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Path
    )
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $hash = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Path))
    } finally {
        $sha.Dispose()
    }
    $hex = -join @($hash[0..7] | ForEach-Object { $_.ToString('x2') })
    return "ws-$hex"
}
