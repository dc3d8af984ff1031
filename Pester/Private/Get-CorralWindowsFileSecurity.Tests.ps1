Describe 'Get-CorralWindowsFileSecurity' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'fails for a path that does not exist' {
            { InModuleScope Corral -Parameters @{ P = (Join-Path $TestDrive 'missing') } { param($P) Get-CorralWindowsFileSecurity -Path $P } } | Should -Throw
        }
        It 'returns a DirectorySecurity for a folder and a writer for it' -Tag Windows {
            Skip-CorralUnlessWindows
            $dir = Join-Path $TestDrive 'sec'; $null = New-Item -ItemType Directory -Path $dir
            $file = InModuleScope Corral -Parameters @{ P = $dir } { param($P) Get-CorralWindowsFileSecurity -Path $P }
            $file.Security | Should -BeOfType ([System.Security.AccessControl.DirectorySecurity])
            $file.Write | Should -BeOfType ([scriptblock])
        }
    }
}
