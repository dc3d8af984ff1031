function Add-CorralAce {
    <#
    .SYNOPSIS
    Adds one explicit ACE to a file or folder unless already present, and journals exactly what it added.

    .DESCRIPTION
    The rights already given by an explicit ACE with the same SID, type and flags are left
    out; if nothing is left the ACE is skipped and $null is returned. Otherwise the 'before'
    journal line records {path, sid, rights (the bits added), type, inheritance, propagation}
    so that Remove-CorralAce takes away exactly those bits and nothing that was there before.
    The ACE is written through the Add-CorralFileAccessRule seam. Returns the undo record.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.Collections.IDictionary])]
    param(
        [Parameter(Mandatory)]
        [string]$Path,
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-\d+(-\d+)+$')]
        [string]$Sid,
        [Parameter(Mandatory)]
        [System.Security.AccessControl.FileSystemRights]$Rights,
        [Parameter(Mandatory)]
        [ValidateSet('Allow', 'Deny')]
        [string]$Type,
        [System.Security.AccessControl.InheritanceFlags]$Inheritance = 'None',
        [System.Security.AccessControl.PropagationFlags]$Propagation = 'None',
        [Parameter(Mandatory)]
        [string]$Scope
    )
    $acl = Get-CorralFileAcl -Path $Path
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
        # Files carry no inheritable entries.
        $Inheritance = 'None'
        $Propagation = 'None'
    }
    $existing = Get-CorralAceCoverage -Acl $acl -Sid $Sid -Type $Type -Inheritance ([int]$Inheritance) -Propagation ([int]$Propagation)
    $missing = [int]$Rights -band (-bnot $existing)
    if ($missing -eq 0) { return $null }
    $undo = [ordered]@{
        path        = $Path
        sid         = $Sid
        rights      = $missing
        type        = $Type
        inheritance = [int]$Inheritance
        propagation = [int]$Propagation
    }
    if (-not $PSCmdlet.ShouldProcess($Path, "Add $Type ACE for $Sid ($([System.Security.AccessControl.FileSystemRights]$missing))")) {
        return $undo
    }
    $null = Invoke-CorralJournaledChange -Kind 'ace' -Scope $Scope -Undo $undo -Description "Adding an ACE on $Path" -Change {
        Add-CorralFileAccessRule -Path $Path -Sid $Sid -Rights $missing -Type $Type -Inheritance ([int]$Inheritance) -Propagation ([int]$Propagation) -WhatIf:$false
    }
    return $undo
}
