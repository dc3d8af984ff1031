Describe 'Uninstall-Corral (module)' {
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
    Describe 'Uninstall-Corral' {
        BeforeEach {
            Write-CorralTestState -State (New-CorralTestStateRecord)
            Write-CorralTestJournal -Entries @(
                @{ phase = 'before'; id = 'g'; kind = 'group'; scope = 'machine'; undo = @{ name = 'ctestunitSandboxUsers' } }
                @{ phase = 'before'; id = 'u'; kind = 'user'; scope = 'identity:ctes-off-alice'; undo = @{ name = 'ctes-off-alice'; sid = $null } }
                @{ phase = 'before'; id = 'f'; kind = 'firewallRule'; scope = 'firewall:ctes-off-alice'; undo = @{ name = 'ctestunit-ctes-off-alice-remote' } }
                @{ phase = 'before'; id = 'a'; kind = 'ace'; scope = 'workspace:c:\src\app'; undo = @{ path = 'C:\src\app'; sid = 'S-1-5-21-4-5-6-7'; rights = 1179817; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'before'; id = 'gone'; kind = 'ace'; scope = 'workspace:c:\src\old'; undo = @{ path = 'C:\src\old'; sid = 'S-1-5-21-4-5-6-9'; rights = 1; type = 'Allow'; inheritance = 0; propagation = 0 } }
                @{ phase = 'undone'; id = 'gone'; kind = 'ace'; scope = 'workspace:c:\src\old'; undo = $null }
            )
            Mock -ModuleName Corral Get-LocalGroup { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Remove-LocalGroup { return }
            Mock -ModuleName Corral Get-LocalUser { [pscustomobject]@{ Name = $Name; SID = (New-CorralTestSid 'S-1-5-21-1-2-3-2001') } }
            Mock -ModuleName Corral Remove-LocalUser { return }
            Mock -ModuleName Corral Get-NetFirewallRule { [pscustomobject]@{ Name = $Name } }
            Mock -ModuleName Corral Remove-NetFirewallRule { return }
            Mock -ModuleName Corral Remove-CorralAce { return }
        }
        It 'removes exactly the journaled items, newest first, then the state folder' {
            $script:order = [System.Collections.Generic.List[string]]::new()
            Mock -ModuleName Corral Remove-CorralAce { $script:order.Add('ace') }
            Mock -ModuleName Corral Remove-NetFirewallRule { $script:order.Add('rule') }
            Mock -ModuleName Corral Remove-LocalUser { $script:order.Add('user') }
            Mock -ModuleName Corral Remove-LocalGroup { $script:order.Add('group') }
            $result = Uninstall-Corral -Force
            $script:order | Should -Be @('ace', 'rule', 'user', 'group')
            Should -Invoke Remove-CorralAce -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Undo['path'] -eq 'C:\src\app' -and $Undo['rights'] -eq 1179817 }
            Should -Invoke Remove-NetFirewallRule -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctestunit-ctes-off-alice-remote' }
            Should -Invoke Remove-LocalGroup -ModuleName Corral -Times 1 -Exactly -ParameterFilter { $Name -eq 'ctestunitSandboxUsers' }
            $result.Undone.Count | Should -Be 4
            Test-Path (Join-Path $env:ProgramData 'ctestunit') | Should -BeFalse
        }
        It 'keeps the journal and reports CorralStepFailed when a step fails, after trying the others' {
            Mock -ModuleName Corral Remove-NetFirewallRule { throw 'access denied' }
            { Uninstall-Corral -Force } | Should -Throw -ErrorId 'CorralStepFailed*'
            Should -Invoke Remove-LocalGroup -ModuleName Corral -Times 1 -Exactly
            Test-Path (Join-Path $env:ProgramData 'ctestunit\journal.jsonl') | Should -BeTrue
        }
        It 'changes nothing when nothing is installed' {
            Remove-Item -LiteralPath (Join-Path $env:ProgramData 'ctestunit') -Recurse -Force
            (Uninstall-Corral -Force).Changed | Should -BeFalse
            Should -Invoke Remove-LocalUser -ModuleName Corral -Times 0 -Exactly
        }
    }
}
