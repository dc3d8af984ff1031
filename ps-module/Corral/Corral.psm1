# Corral PowerShell module: Windows provisioning of sandbox identities, firewall rules,
# credentials and workspace grants (DESIGN.md §Windows mechanisms).
# Loading defines functions and nothing else: no code runs at import.
# Strict mode 1.0: reading an unset variable is an error (typos fail loudly); property access
# stays lenient because ConvertFrom-Json objects and CIM objects differ between 5.1 and 7.
Set-StrictMode -Version 1.0

foreach ($folder in @('Private', 'Public')) {
    $files = @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot $folder) -Filter '*.ps1' -File | Sort-Object Name)
    foreach ($file in $files) {
        . $file.FullName
    }
}
