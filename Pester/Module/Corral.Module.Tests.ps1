# Quality checks of the module and every PowerShell file of the project, with PowerShell's own
# parser ([System.Management.Automation.Language.Parser]::ParseFile) and loader. They replace the
# tree-sitter checks that ran when no PowerShell was available on Linux.
BeforeDiscovery {
    $root = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $moduleDir = Join-Path $root 'ps-module/Corral'
    $script:allFiles = @(
        Get-ChildItem -LiteralPath (Join-Path $root 'ps-module') -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1'
        Get-ChildItem -LiteralPath (Join-Path $root 'Pester') -Recurse -File -Include '*.ps1', '*.psm1'
        Get-ChildItem -LiteralPath (Join-Path $root 'test/windows-sim') -Recurse -File -Include '*.ps1', '*.psm1' -ErrorAction SilentlyContinue
        Get-Item -LiteralPath (Join-Path $root 'install.ps1')
        Get-Item -LiteralPath (Join-Path $root 'orchestrator/provision/windows/elevated-host.ps1')
    ) | ForEach-Object { @{ Path = $_.FullName; Name = $_.FullName.Substring($root.Length + 1) } }
    $script:functionFiles = @(foreach ($folder in 'Public', 'Private') {
            Get-ChildItem -LiteralPath (Join-Path $moduleDir $folder) -Filter '*.ps1' -File | ForEach-Object { @{ Path = $_.FullName; Folder = $folder; Name = $_.BaseName } }
        })
    $script:publicFiles = @($script:functionFiles | Where-Object { $_.Folder -eq 'Public' })
}

BeforeAll {
    $script:root = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $script:moduleDir = Join-Path $script:root 'ps-module/Corral'
    $script:manifest = Join-Path $script:moduleDir 'Corral.psd1'
    function Get-CorralAst([string]$Path) {
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        return @{ Ast = $ast; Errors = @($errors) }
    }
    $script:errorIds = @('CorralNotElevated', 'CorralToolMissing', 'CorralConfigInvalid', 'CorralWorkspaceInvalid',
        'CorralWorkspaceNotOwned', 'CorralFirewallIneffective', 'CorralUserExists', 'CorralNotProvisioned',
        'CorralStepFailed', 'CorralStateCorrupt', 'CorralOperationUnknown', 'CorralArgumentsInvalid', 'CorralWorkspaceInUse')
}

Describe 'PowerShell files of Corral' {
    It 'parses <Name> with zero errors' -ForEach $script:allFiles {
        $parsed = Get-CorralAst $Path
        $parsed.Errors | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Message)" } | Should -BeNullOrEmpty
    }
    It 'sees a real syntax error as one (the parse check can fail)' {
        $bad = Join-Path $TestDrive 'bad.ps1'
        Set-Content -LiteralPath $bad -Value 'function Broken { "$name: x" ; if ( }'
        (Get-CorralAst $bad).Errors.Count | Should -BeGreaterThan 0
    }
}

Describe 'The Corral module' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path $script:manifest -ErrorAction Stop
        $info.Name | Should -Be 'Corral'
        $info.PowerShellVersion | Should -Be ([version]'5.1')
        $info.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }
    It 'imports and exports exactly the Public/*.ps1 functions (FunctionsToExport, never *)' {
        $module = Import-Module -Name $script:manifest -Force -PassThru -ErrorAction Stop
        $public = @(Get-ChildItem -LiteralPath (Join-Path $script:moduleDir 'Public') -Filter '*.ps1' | ForEach-Object BaseName | Sort-Object)
        @($module.ExportedFunctions.Keys | Sort-Object) | Should -Be $public
        @($module.ExportedCmdlets.Keys) + @($module.ExportedVariables.Keys) + @($module.ExportedAliases.Keys) | Should -BeNullOrEmpty
        (Import-PowerShellDataFile -LiteralPath $script:manifest).FunctionsToExport | Should -Not -Contain '*'
    }
    It 'runs nothing at import: the .psm1 only dot-sources the function files' {
        $ast = (Get-CorralAst (Join-Path $script:moduleDir 'Corral.psm1')).Ast
        $commands = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() } | Where-Object { $_ })
        $commands | Should -Not -Contain 'Invoke-Expression'
        @($commands | Where-Object { $_ -notin @('Set-StrictMode', 'Get-ChildItem', 'Join-Path', 'Sort-Object') }) | Should -BeNullOrEmpty
    }
    It '<Folder>/<Name>.ps1 defines exactly one function, named after the file, and nothing else' -ForEach $script:functionFiles {
        $ast = (Get-CorralAst $Path).Ast
        $ast.EndBlock.Statements.Count | Should -Be 1
        $ast.EndBlock.Statements[0] | Should -BeOfType ([System.Management.Automation.Language.FunctionDefinitionAst])
        $ast.EndBlock.Statements[0].Name | Should -BeExactly $Name
        @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)).Count | Should -Be 1
    }
    It '<Name> uses an approved verb' -ForEach $script:functionFiles {
        (Get-Verb).Verb | Should -Contain ($Name -split '-')[0]
    }
    It '<Name> has comment-based help: .SYNOPSIS, .DESCRIPTION, .EXAMPLE, .OUTPUTS, one .PARAMETER per parameter' -ForEach $script:publicFiles {
        $function = (Get-CorralAst $Path).Ast.EndBlock.Statements[0]
        $help = $function.GetHelpContent()
        $help | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Description | Should -Not -BeNullOrEmpty
        $help.Examples.Count | Should -BeGreaterThan 0
        $help.Outputs.Count | Should -BeGreaterThan 0
        $parameters = @($function.Body.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath })
        @($help.Parameters.Keys | ForEach-Object { $_.ToUpperInvariant() } | Sort-Object) | Should -Be @($parameters | ForEach-Object { $_.ToUpperInvariant() } | Sort-Object)
    }
    It '<Name> supports -WhatIf/-Confirm when its verb changes the machine' -ForEach $script:publicFiles {
        $changing = @('New', 'Set', 'Remove', 'Add', 'Install', 'Uninstall', 'Grant', 'Revoke', 'Update', 'Protect', 'Save', 'Invoke')
        if ($changing -notcontains ($Name -split '-')[0]) { return }
        $function = (Get-CorralAst $Path).Ast.EndBlock.Statements[0]
        $binding = $function.Body.ParamBlock.Attributes | Where-Object { $_.TypeName.Name -eq 'CmdletBinding' }
        @($binding.NamedArguments.ArgumentName) | Should -Contain 'SupportsShouldProcess'
    }
    It 'uses only the documented ErrorIds, listed the same in New-CorralErrorRecord, Invoke-CorralOperation and install.ps1' {
        $text = (Get-ChildItem -LiteralPath $script:moduleDir -Recurse -Filter '*.ps1' | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw }) -join "`n"
        $used = @([regex]::Matches($text, "-ErrorId\s+'([^']+)'") | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique)
        $used | Where-Object { $script:errorIds -notcontains $_ } | Should -BeNullOrEmpty
        foreach ($id in 'CorralNotElevated', 'CorralUserExists', 'CorralFirewallIneffective', 'CorralWorkspaceNotOwned', 'CorralStateCorrupt') { $used | Should -Contain $id }
        $recordFunction = (Get-CorralAst (Join-Path $script:moduleDir 'Private/New-CorralErrorRecord.ps1')).Ast.EndBlock.Statements[0]
        $idParameter = $recordFunction.Body.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq 'ErrorId' }
        $set = ($idParameter.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateSet' }).PositionalArguments.Value
        @($set | Sort-Object) | Should -Be @($script:errorIds | Sort-Object)
        $known = [regex]::Match((Get-Content -LiteralPath (Join-Path $script:moduleDir 'Public/Invoke-CorralOperation.ps1') -Raw), '\$knownIds = @\(([^)]*)\)').Groups[1].Value
        @([regex]::Matches($known, "'([^']+)'") | ForEach-Object { $_.Groups[1].Value } | Sort-Object) | Should -Be @($script:errorIds | Sort-Object)
        $install = Get-Content -LiteralPath (Join-Path $script:root 'install.ps1') -Raw
        [regex]::Matches($install, '(?m)^\s+(Corral[A-Za-z]+)\s+=\s+\d+\s*$') | ForEach-Object { $script:errorIds | Should -Contain $_.Groups[1].Value }
    }
    It 'lets Invoke-CorralOperation run only exported functions, never itself, and evaluates no text anywhere' {
        $text = Get-Content -LiteralPath (Join-Path $script:moduleDir 'Public/Invoke-CorralOperation.ps1') -Raw
        $allowed = @([regex]::Matches([regex]::Match($text, '\$allowed = @\(([\s\S]*?)\)').Groups[1].Value, "'([^']+)'") | ForEach-Object { $_.Groups[1].Value })
        $allowed.Count | Should -BeGreaterThan 10
        $public = @(Get-ChildItem -LiteralPath (Join-Path $script:moduleDir 'Public') -Filter '*.ps1' | ForEach-Object BaseName)
        $allowed | Where-Object { $public -notcontains $_ } | Should -BeNullOrEmpty
        $allowed | Should -Not -Contain 'Invoke-CorralOperation'
        $all = (Get-ChildItem -LiteralPath $script:moduleDir -Recurse -Filter '*.ps1' | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw }) -join "`n"
        $all | Should -Not -Match 'Invoke-Expression|\biex\b|\.InvokeScript\(|\[scriptblock\]::Create'
    }
    It 'has a Pester file for every Public and Private function, in the mirrored folder (<Folder>/<Name>)' -ForEach $script:functionFiles {
        Join-Path $script:root "Pester/$Folder/$Name.Tests.ps1" | Should -Exist
    }
    It 'names no function in Pester/Public or Pester/Private that the module lacks' {
        foreach ($folder in 'Public', 'Private') {
            foreach ($test in Get-ChildItem -LiteralPath (Join-Path $script:root "Pester/$folder") -Filter '*.Tests.ps1') {
                Join-Path $script:moduleDir "$folder/$($test.Name -replace '\.Tests\.ps1$', '.ps1')" | Should -Exist
            }
        }
    }
}

Describe 'install.ps1' {
    It 'documents its exit codes 0-6 and its parameters' {
        $text = Get-Content -LiteralPath (Join-Path $script:root 'install.ps1') -Raw
        foreach ($code in 0..6) { $text | Should -Match "(?m)^\s+$code\s{2,}\S" }
        $help = (Get-CorralAst (Join-Path $script:root 'install.ps1')).Ast.GetHelpContent()
        $parameters = @((Get-CorralAst (Join-Path $script:root 'install.ps1')).Ast.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath })
        @($help.Parameters.Keys | ForEach-Object { $_.ToUpperInvariant() } | Sort-Object) | Should -Be @($parameters | ForEach-Object { $_.ToUpperInvariant() } | Sort-Object)
    }
}
