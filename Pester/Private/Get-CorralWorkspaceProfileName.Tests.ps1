Describe 'Get-CorralWorkspaceProfileName' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    # The same vectors pin the runners' core/workspace-id.ts (test/unit/workspace-id.test.ts).
    It 'names <Path> <Name>, as the runners do' -ForEach @(
        @{ Path = 'C:\src\app'; Name = 'ws-223479b1852924db' }
        @{ Path = '/home/alice/src/app'; Name = 'ws-41c4bb30bf24d8af' }
        @{ Path = "C:\Users\Zo$([char]0xEB)\ws"; Name = 'ws-36ca500db85e6598' }
    ) {
        InModuleScope Corral -Parameters @{ P = $Path } { param($P) Get-CorralWorkspaceProfileName -Path $P } | Should -BeExactly $Name
    }
    It 'hashes the spelling it is given (callers pass the recorded path)' {
        $a = InModuleScope Corral { Get-CorralWorkspaceProfileName -Path 'C:\Src\App' }
        $b = InModuleScope Corral { Get-CorralWorkspaceProfileName -Path 'C:\src\app' }
        $a | Should -Not -Be $b
        $a | Should -Match '^ws-[0-9a-f]{16}$'
    }
}
