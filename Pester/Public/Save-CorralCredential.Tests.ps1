Describe 'Save-CorralCredential (module)' {
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
    Describe 'Save-CorralCredential' {
        It 'writes the contract file with one entry per network and restricts it to the real user, SYSTEM and Administrators' {
            Mock -ModuleName Corral Protect-CorralCredential { "blob-of-$Identity" }
            $secure = ConvertTo-SecureString -String 'x' -AsPlainText -Force
            $result = Save-CorralCredential -User alice -Network offline -Identity 'ctes-off-alice' -Password $secure -Force
            Save-CorralCredential -User alice -Network online -Identity 'ctes-on-alice' -Password $secure -Force | Out-Null
            $result.Path | Should -Be ([System.IO.Path]::Combine($env:ProgramData, 'ctestunit', 'credentials', 'S-1-5-21-1-2-3-1001.json'))
            $store = Get-Content $result.Path -Raw | ConvertFrom-Json
            $store.offline.user | Should -Be 'ctes-off-alice'
            $store.offline.protected | Should -Be 'blob-of-ctes-off-alice'
            $store.online.user | Should -Be 'ctes-on-alice'
            Should -Invoke Set-CorralPrivateAcl -ModuleName Corral -ParameterFilter { $ReaderSids -contains 'S-1-5-21-1-2-3-1001' -and $ReaderSids.Count -eq 1 }
            @(Get-Content (Join-Path $env:ProgramData 'ctestunit\journal.jsonl') | Where-Object { $_ -match '"kind":"credential"' -and $_ -match '"phase":"before"' }).Count | Should -Be 1
        }
    }
}
