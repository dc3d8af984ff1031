Describe 'Install-CorralRunner (module)' {
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
    Describe 'Install-CorralRunner' {
        BeforeEach {
            $script:src = Join-Path $TestDrive 'pkg'
            foreach ($d in 'dist\runner', 'node_modules\dep') { $null = New-Item -ItemType Directory -Path (Join-Path $script:src $d) -Force }
            Set-Content -LiteralPath (Join-Path $script:src 'package.json') -Value '{}'
            Set-Content -LiteralPath (Join-Path $script:src 'dist\runner\main.js') -Value '//'
            Set-Content -LiteralPath (Join-Path $script:src 'node_modules\dep\index.js') -Value '//'
            $script:node = Join-Path $TestDrive 'node.exe'
            Set-Content -LiteralPath $script:node -Value 'not really node'
            $env:ProgramFiles = Join-Path $TestDrive 'ProgramFiles'
            Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-3001') } }
        }
        AfterEach { $env:ProgramFiles = [Environment]::GetFolderPath('ProgramFiles') }
        It 'copies the runner and node.exe, ACLs the folder read/execute for Users and the group, and changes nothing on a re-run' {
            $first = Install-CorralRunner -Source $script:src -NodePath $script:node -Force
            $first.Changed | Should -BeTrue
            Test-Path (Join-Path $env:ProgramFiles 'ctestunit\app\dist\runner\main.js') | Should -BeTrue
            Test-Path (Join-Path $env:ProgramFiles 'ctestunit\node.exe') | Should -BeTrue
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -ParameterFilter { $ReadExecute -and $Container -and $ReaderSids -contains 'S-1-5-32-545' -and $ReaderSids -contains 'S-1-5-21-1-2-3-3001' }
            (Install-CorralRunner -Source $script:src -NodePath $script:node -Force).Changed | Should -BeFalse
        }
        It 'is CorralConfigInvalid for a folder that is not a built package' {
            { Install-CorralRunner -Source $TestDrive -NodePath $script:node -Force } | Should -Throw -ErrorId 'CorralConfigInvalid*'
        }
    }
}
