Describe 'New-CorralElevatedStartInfo' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    Context 'behaviour' {
        It 'asks ShellExecute for the runas verb (the UAC prompt), hidden, with the program and its argument line as given' {
            $info = InModuleScope Corral { New-CorralElevatedStartInfo -FilePath 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -ArgumentList '-File "C:\a b\h.ps1" -PlanFile x' }
            $info.Verb | Should -BeExactly 'runas'
            $info.UseShellExecute | Should -BeTrue
            $info.WindowStyle | Should -Be ([System.Diagnostics.ProcessWindowStyle]::Hidden)
            $info.FileName | Should -BeExactly 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe'
            $info.Arguments | Should -BeExactly '-File "C:\a b\h.ps1" -PlanFile x'
        }
    }
}
