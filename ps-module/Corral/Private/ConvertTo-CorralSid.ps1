function ConvertTo-CorralSid {
    <#
    .SYNOPSIS
    Seam: the SID of an account name (alice, DOMAIN\bob, AzureAD\alice), through NTAccount.Translate.

    .DESCRIPTION
    The module's only use of NTAccount/SecurityIdentifier translation (Windows-only types:
    on other platforms .NET throws PlatformNotSupportedException), so tests replace it.
    Throws when the name does not resolve; the caller turns that into its own ErrorId.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Name
    )
    ([System.Security.Principal.NTAccount]::new($Name)).Translate([System.Security.Principal.SecurityIdentifier]).Value
}
