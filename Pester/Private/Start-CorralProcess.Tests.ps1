Describe 'Start-CorralProcess' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
        # This PowerShell as a program: pwsh (on PATH here, a .NET global tool) or powershell.exe.
        $script:self = if ($PSVersionTable.PSEdition -eq 'Desktop') { Join-Path $PSHOME 'powershell.exe' } else { @(Get-Command -Name pwsh -CommandType Application)[0].Source }
        function ConvertTo-Encoded { param([string]$Text) [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Text)) }
    }
    Context 'behaviour' {
        It 'runs the program with the arguments, waits, and returns its exit code' {
            $code = InModuleScope Corral -Parameters @{ Exe = $script:self; Encoded = (ConvertTo-Encoded 'exit 7') } {
                param($Exe, $Encoded) Start-CorralProcess -FilePath $Exe -ArgumentList @('-NoProfile', '-EncodedCommand', $Encoded)
            }
            $code | Should -Be 7
        }
        It 'refuses an argument that would need quoting (CorralArgumentsInvalid), starting nothing: <Argument>' -ForEach @(
            @{ Argument = 'two words' }, @{ Argument = 'a"b' }, @{ Argument = 'C:\x' }, @{ Argument = "a`tb" }, @{ Argument = "x'y" }
        ) {
            { InModuleScope Corral -Parameters @{ Exe = $script:self; Argument = $Argument } { param($Exe, $Argument) Start-CorralProcess -FilePath $Exe -ArgumentList @('-NoProfile', $Argument) } } |
                Should -Throw -ErrorId 'CorralArgumentsInvalid*'
        }
    }
}
