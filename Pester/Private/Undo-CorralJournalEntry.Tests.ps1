Describe 'Undo-CorralJournalEntry' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        BeforeEach { Skip-CorralUnlessSim; Mock -ModuleName Corral Set-CorralPrivateAcl { } }
        It 'removes a journaled group and appends its undone line' {
            $null = New-LocalGroup -Name 'ctes-grp-alice'
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = 'g1'; kind = 'group'; scope = 'usergroup:alice'; undo = @{ name = 'ctes-grp-alice' } } -Confirm:$false }
            Get-LocalGroup -Name 'ctes-grp-alice' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            (Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl') | ConvertFrom-Json).phase | Should -Be 'undone'
        }
        It 'removes a user only when its SID is the recorded one (never an account someone recreated)' {
            $status = InModuleScope Corral { Add-CorralNetUser -Name 'ctes-off-alice' -Password (ConvertTo-SecureString 'x' -AsPlainText -Force) -Description '' }
            $status | Should -Be 0
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = 'u1'; kind = 'user'; scope = 's'; undo = @{ name = 'ctes-off-alice'; sid = 'S-1-5-21-9-9-9-9' } } -Confirm:$false }
            Get-LocalUser -Name 'ctes-off-alice' | Should -Not -BeNullOrEmpty
            $sid = (Get-LocalUser -Name 'ctes-off-alice').SID.Value
            InModuleScope Corral -Parameters @{ Sid = $sid } { param($Sid) Undo-CorralJournalEntry -Entry @{ id = 'u2'; kind = 'user'; scope = 's'; undo = @{ name = 'ctes-off-alice'; sid = $Sid } } -Confirm:$false }
            Get-LocalUser -Name 'ctes-off-alice' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        It 'removes the sign-in screen key it created once no value is left in it, and never a key that holds another value' {
            $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
            foreach ($name in 'ctes-off-alice', 'ctes-on-alice') {
                InModuleScope Corral -Parameters @{ K = $key; N = $name } { param($K, $N) Set-CorralRegistryValue -Key $K -Name $N -Value 0 -Kind DWord -Confirm:$false }
            }
            # Undone in reverse order: the entry that created the key comes last.
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = '2'; kind = 'hidden'; scope = 's'; undo = @{ name = 'ctes-on-alice' } } -Confirm:$false }
            InModuleScope Corral -Parameters @{ K = $key } { param($K) Test-CorralRegistryKey -Key $K } | Should -BeTrue
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = '1'; kind = 'hidden'; scope = 's'; undo = @{ name = 'ctes-off-alice'; createdKey = $true } } -Confirm:$false }
            InModuleScope Corral -Parameters @{ K = $key } { param($K) Test-CorralRegistryKey -Key $K } | Should -BeFalse

            # Someone else's value in the key since: the key stays, with that value.
            foreach ($name in 'ctes-off-alice', 'someone-else') {
                InModuleScope Corral -Parameters @{ K = $key; N = $name } { param($K, $N) Set-CorralRegistryValue -Key $K -Name $N -Value 0 -Kind DWord -Confirm:$false }
            }
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = '3'; kind = 'hidden'; scope = 's'; undo = @{ name = 'ctes-off-alice'; createdKey = $true } } -Confirm:$false }
            InModuleScope Corral -Parameters @{ K = $key } { param($K) Get-CorralRegistryValue -Key $K -Name 'someone-else' } | Should -Be 0
        }
        It 'removes the sign-in screen entry, the profile, a credential file, a firewall rule and a directory' {
            $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
            InModuleScope Corral -Parameters @{ K = $key } { param($K) Set-CorralRegistryValue -Key $K -Name 'ctes-off-alice' -Value 0 -Kind DWord -Confirm:$false }
            $folder = InModuleScope Corral { New-CorralUserProfile -Sid 'S-1-5-21-1000-2000-3000-1234' -Name 'ctes-off-alice' -Confirm:$false }
            $credential = Join-Path $TestDrive 'cred.json'; Set-Content -LiteralPath $credential -Value '{}'
            $null = New-NetFirewallRule -Name 'ctestunit-r' -Direction Outbound -Action Block
            $dir = Join-Path $TestDrive 'lib'; $null = New-Item -ItemType Directory -Path (Join-Path $dir 'app') -Force
            foreach ($entry in @(
                    @{ id = '1'; kind = 'hidden'; scope = 's'; undo = @{ name = 'ctes-off-alice' } }
                    @{ id = '2'; kind = 'profile'; scope = 's'; undo = @{ sid = 'S-1-5-21-1000-2000-3000-1234' } }
                    @{ id = '3'; kind = 'credential'; scope = 's'; undo = @{ path = $credential } }
                    @{ id = '4'; kind = 'firewallRule'; scope = 's'; undo = @{ name = 'ctestunit-r' } }
                    @{ id = '5'; kind = 'directory'; scope = 's'; undo = @{ path = $dir } })) {
                InModuleScope Corral -Parameters @{ E = $entry } { param($E) Undo-CorralJournalEntry -Entry $E -Confirm:$false }
            }
            InModuleScope Corral -Parameters @{ K = $key } { param($K) Get-CorralRegistryValue -Key $K -Name 'ctes-off-alice' } | Should -BeNullOrEmpty
            $folder | Should -Not -Exist
            $credential | Should -Not -Exist
            Get-NetFirewallRule -Name 'ctestunit-r' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $dir | Should -Not -Exist
            @(Get-Content (Join-Path $env:ProgramData 'ctestunit/journal.jsonl')).Count | Should -Be 5
        }
        It 'tolerates each thing being gone already (a change without after may never have happened)' {
            foreach ($entry in @(
                    @{ id = '1'; kind = 'group'; scope = 's'; undo = @{ name = 'nope' } }
                    @{ id = '2'; kind = 'user'; scope = 's'; undo = @{ name = 'nope'; sid = $null } }
                    @{ id = '3'; kind = 'firewallRule'; scope = 's'; undo = @{ name = 'nope' } }
                    @{ id = '4'; kind = 'ace'; scope = 's'; undo = @{ path = (Join-Path $TestDrive 'nope'); sid = 'S-1-5-21-1'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } })) {
                { InModuleScope Corral -Parameters @{ E = $entry } { param($E) Undo-CorralJournalEntry -Entry $E -Confirm:$false } } | Should -Not -Throw
            }
        }
        It 'is CorralStateCorrupt for an unknown kind, and changes nothing with -WhatIf' {
            { InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = 'x'; kind = 'mystery'; scope = 's'; undo = @{} } -Confirm:$false } } | Should -Throw -ErrorId 'CorralStateCorrupt*'
            $null = New-LocalGroup -Name 'keep'
            InModuleScope Corral { Undo-CorralJournalEntry -Entry @{ id = 'g'; kind = 'group'; scope = 's'; undo = @{ name = 'keep' } } -WhatIf }
            Get-LocalGroup -Name 'keep' | Should -Not -BeNullOrEmpty
        }
    }
}
