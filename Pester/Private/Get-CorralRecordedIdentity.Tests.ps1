Describe 'Get-CorralRecordedIdentity' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
        $script:state = @{ users = @{
            alice = @{ identities = @{ offline = @{ name = 'ctes-alice-off'; sid = 'S-1-5-21-1-2-3-1001' } } }
            bob   = @{ identities = @{} }
        } }
        $script:lookup = {
            param($S, $Arguments)
            InModuleScope Corral -Parameters @{ S = $S; A = $Arguments } { param($S, $A) Get-CorralRecordedIdentity -State $S @A }
        }
    }
    It 'returns the recorded identity of that network' {
        $r = & $script:lookup $script:state @{ User = 'alice'; Network = 'offline' }
        $r['name'] | Should -Be 'ctes-alice-off'
        $r['sid'] | Should -Be 'S-1-5-21-1-2-3-1001'
    }
    It 'is CorralNotProvisioned for a network with no identity, naming it and the remedy' {
        $err = { & $script:lookup $script:state @{ User = 'alice'; Network = 'online'; Remedy = 'run Install-Corral first.' } } | Should -Throw -ErrorId 'CorralNotProvisioned*' -PassThru
        $err.Exception.Message | Should -Be "No online identity is recorded for 'alice'; run Install-Corral first."
        $err.TargetObject | Should -Be 'alice'
    }
    It 'is CorralNotProvisioned for a user the state does not know' {
        { & $script:lookup $script:state @{ User = 'carol'; Network = 'offline' } } | Should -Throw -ErrorId 'CorralNotProvisioned*'
        { & $script:lookup $script:state @{ User = 'carol' } } | Should -Throw -ErrorId 'CorralNotProvisioned*'
    }
    It 'returns the user record when it holds an identity' {
        (& $script:lookup $script:state @{ User = 'alice' })['identities']['offline']['name'] | Should -Be 'ctes-alice-off'
    }
    It 'is CorralNotProvisioned for a user recorded with no identities' {
        $err = { & $script:lookup $script:state @{ User = 'bob' } } | Should -Throw -ErrorId 'CorralNotProvisioned*' -PassThru
        $err.Exception.Message | Should -BeLike "'bob' has no sandbox identities yet; run New-CorralIdentity*"
    }
    It 'is CorralNotProvisioned for an empty state' {
        { & $script:lookup @{ users = @{} } @{ User = 'alice'; Network = 'offline' } } | Should -Throw -ErrorId 'CorralNotProvisioned*'
    }
}
