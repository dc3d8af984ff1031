@{
    RootModule           = 'Corral.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6d4f3c1e-8a2b-4c7d-9e5f-1a2b3c4d5e6f'
    Author               = 'Corral maintainers'
    CompanyName          = 'Corral'
    Copyright            = '(c) Corral maintainers. Apache-2.0.'
    Description          = 'Provisions Corral sandboxes on Windows: hidden local identities, DPAPI credential store, per-identity firewall rules, workspace capability SIDs and ACL grants, with a journal for exact teardown.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @(
        'Assert-CorralElevation'
        'Get-CorralIdentityName'
        'Get-CorralState'
        'Grant-CorralTraverse'
        'Grant-CorralWorkspace'
        'Install-Corral'
        'Install-CorralGroup'
        'Install-CorralRunner'
        'Install-CorralUserGroup'
        'Invoke-CorralOperation'
        'New-CorralFirewallRule'
        'New-CorralIdentity'
        'Protect-CorralCredential'
        'Remove-CorralFirewallRule'
        'Remove-CorralIdentity'
        'Revoke-CorralTraverse'
        'Revoke-CorralWorkspace'
        'Save-CorralCredential'
        'Set-CorralIdentity'
        'Test-CorralElevation'
        'Test-CorralFirewallEffective'
        'Uninstall-Corral'
        'Update-CorralCredential'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('sandbox', 'security', 'firewall', 'acl', 'Windows')
            ProjectUri = 'https://example.invalid/corral'
        }
    }
}
