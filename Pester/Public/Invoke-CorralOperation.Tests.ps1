Describe 'Invoke-CorralOperation (module)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach {
        Enter-CorralTestState -Root $TestDrive
        Mock -ModuleName Corral Assert-CorralElevation { return }
        Mock -ModuleName Corral Set-CorralPrivateAcl { return }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = $User; Sid = 'S-1-5-21-1-2-3-1001'; Profile = 'C:\Users\alice' } }
    }
    AfterEach { Exit-CorralTestState }
    Describe 'Invoke-CorralOperation' {
        BeforeAll {
            function ConvertTo-Argument([hashtable]$Arguments) {
                [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -InputObject $Arguments -Compress -Depth 5)))
            }
            # Splatted, as the orchestrator's elevated host does: tree-sitter-powershell 0.26 cannot parse
            # a parameter name with digits (-ArgumentsBase64) followed by a value.
            function Invoke-Operation([string]$Operation, [string]$Encoded) {
                $call = @{ Operation = $Operation; ArgumentsBase64 = $Encoded }
                Invoke-CorralOperation @call
            }
            # Hostile values: quotes, subexpressions, backticks, separators, newlines, unicode, a 300-character path.
            $script:hostile = @(
                'C:\ws\it''s "quoted"'
                'C:\ws\$(Remove-Item -Recurse C:\) and ${env:TEMP}'
                'C:\ws\back`tick`n; Stop-Computer; | Out-Null & echo'
                "C:\ws\line1`nline2`r`nline3"
                'C:\ws\ünïcødé\日本語\😀'
                ('C:\' + (('abcdefghi\' * 30).TrimEnd('\')))
                '2024-01-01T00:00:00Z'
            )
        }
        It 'delivers <_> intact to the called function' -ForEach @(0, 1, 2, 3, 4, 5, 6) {
            $value = $script:hostile[$_]
            Mock -ModuleName Corral Revoke-CorralWorkspace { [pscustomobject]@{ Path = $Path; Changed = $false } }
            $line = Invoke-Operation 'Revoke-CorralWorkspace' (ConvertTo-Argument @{ User = 'alice'; Path = $value; Force = $true })
            $line | Should -Not -Match '[^\x00-\x7E]'
            ($line -split "`n").Count | Should -Be 1
            # The module's own parser: ConvertFrom-Json would turn the date-like value into a DateTime.
            $parsed = & (Get-Module Corral) { param($text) ConvertFrom-CorralJson -Json $text } $line
            $parsed.ok | Should -BeTrue
            $parsed.result.Path | Should -BeExactly $value
            Should -Invoke Revoke-CorralWorkspace -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -ceq $value -and $User -ceq 'alice' -and $Force }
        }
        It 'passes arrays, numbers and WhatIf through' {
            Mock -ModuleName Corral New-CorralFirewallRule { [pscustomobject]@{ Changed = $false } }
            $line = Invoke-Operation 'New-CorralFirewallRule' (ConvertTo-Argument @{ User = 'alice'; LoopbackPort = @(5432, 6379); WhatIf = $true })
            ($line | ConvertFrom-Json).ok | Should -BeTrue
            Should -Invoke New-CorralFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { ($LoopbackPort -join ',') -eq '5432,6379' -and $WhatIf -and -not $Confirm }
        }
        It 'maps a module error to its ErrorId' {
            # Assert-CorralElevation is mocked away in this file; a prefix that leaves no room is
            # a real CorralConfigInvalid from the module.
            $parsed = Invoke-Operation 'Get-CorralIdentityName' (ConvertTo-Argument @{ User = 'alice'; Network = 'offline'; Prefix = 'muchtoolongprefix' }) | ConvertFrom-Json
            $parsed.ok | Should -BeFalse
            $parsed.error.errorId | Should -BeExactly 'CorralConfigInvalid'
        }
        It 'refuses operations outside the allowlist: <_>' -ForEach @('Invoke-CorralOperation', 'Remove-Item', 'get-corralstate', 'Get-CorralState; Stop-Computer', '') {
            $parsed = Invoke-Operation $_ '' | ConvertFrom-Json
            $parsed.error.errorId | Should -BeExactly 'CorralOperationUnknown'
        }
        It 'refuses arguments that are not base64 of a JSON object, or name unknown parameters' -ForEach @(
            "e30=' ; Stop-Computer; '", 'W10=', 'bm90IGpzb24=', 'eyJOb3BlIjoxfQ==' <# {"Nope":1} #>
        ) {
            $parsed = Invoke-Operation 'Get-CorralState' $_ | ConvertFrom-Json
            $parsed.error.errorId | Should -BeExactly 'CorralArgumentsInvalid'
        }
    }
}
