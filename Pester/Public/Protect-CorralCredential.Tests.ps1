Describe 'Protect-CorralCredential (module)' {
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
    Describe 'Protect-CorralCredential' {
        It 'hands the password''s UTF-8 bytes and the entropy corral:<identity> to the DPAPI seam, and returns its blob as base64' {
            # The function zeroes its plaintext copy afterwards, so the mock keeps what it saw.
            Mock -ModuleName Corral Protect-CorralBytes { $global:CorralTestSeen = @([System.Text.Encoding]::UTF8.GetString($Bytes), [System.Text.Encoding]::UTF8.GetString($Entropy)); , [byte[]](1, 2, 3) }
            $secure = ConvertTo-SecureString -String 'p@ss "quoted" $(not run) `tick' -AsPlainText -Force
            Protect-CorralCredential -Identity 'ctes-off-alice' -Password $secure -Confirm:$false | Should -BeExactly 'AQID'
            Should -Invoke Protect-CorralBytes -ModuleName Corral -Times 1 -Exactly
            $global:CorralTestSeen[0] | Should -BeExactly 'p@ss "quoted" $(not run) `tick'
            $global:CorralTestSeen[1] | Should -BeExactly 'corral:ctes-off-alice'
        }
        It 'changes nothing with -WhatIf' {
            Mock -ModuleName Corral Protect-CorralBytes { , [byte[]](1) }
            Protect-CorralCredential -Identity 'ctes-off-alice' -Password (ConvertTo-SecureString 'x' -AsPlainText -Force) -WhatIf | Should -BeNullOrEmpty
            Should -Invoke Protect-CorralBytes -ModuleName Corral -Times 0 -Exactly
        }
        It 'encrypts with DPAPI LocalMachine and the entropy corral:<identity>' -Tag Windows {
            Skip-CorralUnlessWindows
            $secure = ConvertTo-SecureString -String 'p@ss "quoted" $(not run) `tick' -AsPlainText -Force
            $blob = Protect-CorralCredential -Identity 'ctes-off-alice' -Password $secure -Confirm:$false
            $bytes = [Convert]::FromBase64String($blob)
            $entropy = [System.Text.Encoding]::UTF8.GetBytes('corral:ctes-off-alice')
            $plain = [System.Security.Cryptography.ProtectedData]::Unprotect($bytes, $entropy, [System.Security.Cryptography.DataProtectionScope]::LocalMachine)
            [System.Text.Encoding]::UTF8.GetString($plain) | Should -BeExactly 'p@ss "quoted" $(not run) `tick'
        }
        It 'binds the blob to its identity (other entropy fails)' -Tag Windows {
            Skip-CorralUnlessWindows
            $secure = ConvertTo-SecureString -String 'secret' -AsPlainText -Force
            $bytes = [Convert]::FromBase64String((Protect-CorralCredential -Identity 'ctes-off-alice' -Password $secure -Confirm:$false))
            { [System.Security.Cryptography.ProtectedData]::Unprotect($bytes, [System.Text.Encoding]::UTF8.GetBytes('corral:ctes-on-alice'), 'LocalMachine') } | Should -Throw
        }
    }
}
