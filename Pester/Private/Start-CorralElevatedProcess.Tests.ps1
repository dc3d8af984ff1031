Describe 'Start-CorralElevatedProcess' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    Context 'behaviour' {
        It 'starts through the runas start info and fails as .NET does where there is no UAC (Win32 error 1155 off Windows)' -Skip:$IsWindows {
            # Off Windows, .NET refuses a ShellExecute verb with ERROR_NO_ASSOCIATION: the seam really
            # takes the runas path (the simulated Windows replaces it; the launcher maps 1223 only).
            $caught = $null
            try { InModuleScope Corral { Start-CorralElevatedProcess -FilePath '/bin/true' -ArgumentList '' } } catch { $caught = $_.Exception }
            $native = $caught
            while ($null -ne $native -and $native -isnot [System.ComponentModel.Win32Exception]) { $native = $native.InnerException }
            $native | Should -Not -BeNullOrEmpty
            $native.NativeErrorCode | Should -Be 1155
        }
    }
}
