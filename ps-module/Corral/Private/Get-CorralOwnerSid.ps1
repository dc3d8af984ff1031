function Get-CorralOwnerSid {
    <#
    .SYNOPSIS
    The owner SID of a file or folder (through the Get-CorralFileAcl seam).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string]$Path
    )
    return (Get-CorralFileAcl -Path $Path).Owner
}
