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
Describe 'Grant-CorralTraverse' {
    BeforeEach {
        $script:profileDir = Join-Path $TestDrive 'Users\alice'
        foreach ($d in '.cargo', '.ssh', 'src\app') { $null = New-Item -ItemType Directory -Path (Join-Path $script:profileDir $d) -Force }
        Mock -ModuleName Corral Resolve-CorralRealUser { @{ Name = 'alice'; Sid = 'S-1-5-21-1-2-3-1001'; Profile = $script:profileDir } }
        Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = 'ctestunitSandboxUsers'; SID = [System.Security.Principal.SecurityIdentifier]'S-1-5-21-1-2-3-3001' } }
        Mock -ModuleName Corral Add-CorralAce { [ordered]@{ path = $Path } }
    }
    It 'adds this-folder-only traverse on ancestors, inherited read on toolchains, nothing on denyRead paths' {
        $result = Grant-CorralTraverse -User alice -Workspace (Join-Path $script:profileDir 'src\app') -Toolchain '.cargo', '.ssh' -DenyRead '~\.ssh' -Force
        $result.Skipped | Should -Contain (Join-Path $script:profileDir '.ssh')
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq (Join-Path $script:profileDir 'src') -and "$Inheritance" -eq 'None' -and ($Rights -band [System.Security.AccessControl.FileSystemRights]::ReadData) -eq 0 }
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq $script:profileDir }
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Path -eq (Join-Path $script:profileDir '.cargo') -and "$Inheritance" -eq 'ContainerInherit, ObjectInherit' }
        Should -Invoke Add-CorralAce -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Path -like (Join-Path $script:profileDir '.ssh*') }
    }
}
