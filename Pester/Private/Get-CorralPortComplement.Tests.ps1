BeforeAll {
    . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
    Import-CorralTestModule
}
Describe 'Get-CorralPortComplement' {
    It 'is every port when none is open' {
        (InModuleScope Corral { Get-CorralPortComplement }) -join ',' | Should -BeExactly '1-65535'
    }
    It 'leaves out exactly the open port: <Open> → <Closed>' -ForEach @(
        @{ Open = @(3128); Closed = @('1-3127', '3129-65535') }
        @{ Open = @(1); Closed = @('2-65535') }
        @{ Open = @(65535); Closed = @('1-65534') }
        @{ Open = @(2, 65534); Closed = @('1', '3-65533', '65535') }
        @{ Open = @(5432, 80, 80); Closed = @('1-79', '81-5431', '5433-65535') }
        @{ Open = @(0, 70000, 3128); Closed = @('1-3127', '3129-65535') }
    ) {
        (InModuleScope Corral -Parameters @{ O = $Open } { param($O) Get-CorralPortComplement -Open $O }) -join ',' | Should -BeExactly ($Closed -join ',')
    }
    It 'covers each closed port once and never an open one' {
        $closed = InModuleScope Corral { Get-CorralPortComplement -Open 22, 3128, 3129, 8080 }
        $count = 0
        foreach ($range in $closed) {
            $ends = @($range -split '-' | ForEach-Object { [int]$_ })
            $last = $ends[-1]
            foreach ($open in 22, 3128, 3129, 8080) { ($open -ge $ends[0] -and $open -le $last) | Should -BeFalse }
            $count += $last - $ends[0] + 1
        }
        $count | Should -Be (65535 - 4)
    }
}
