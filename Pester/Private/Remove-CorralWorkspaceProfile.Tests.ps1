Describe 'Remove-CorralWorkspaceProfile' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
        $script:remove = {
            param([string]$ProfilePath, [string]$Workspace = 'C:\src\app', [switch]$WhatIf)
            InModuleScope Corral -Parameters @{ P = $ProfilePath; W = $Workspace; WI = [bool]$WhatIf } {
                param($P, $W, $WI)
                Remove-CorralWorkspaceProfile -ProfilePath $P -Workspace $W -WhatIf:$WI -Confirm:$false
            }
        }
    }
    BeforeEach {
        $script:profile = Join-Path $TestDrive ([guid]::NewGuid().ToString('n').Substring(0, 8))
        $script:root = Join-Path (Join-Path $script:profile 'corral-ws') 'ws-223479b1852924db'
        $script:other = Join-Path (Join-Path $script:profile 'corral-ws') 'ws-0123456789abcdef'
        foreach ($dir in (Join-Path $script:root 'AppData/Roaming/Python/Python312/site-packages'), (Join-Path $script:root 'Temp'), $script:other) {
            $null = New-Item -ItemType Directory -Path $dir -Force
        }
        Set-Content -LiteralPath (Join-Path $script:root 'AppData/Roaming/Python/Python312/site-packages/evil.pth') -Value 'import os'
        Set-Content -LiteralPath (Join-Path $script:root '.gitconfig') -Value '[core]'
        Set-Content -LiteralPath (Join-Path $script:other 'keep.txt') -Value 'other workspace'
    }
    It 'removes the workspace''s folder with everything in it, and leaves corral-ws and the other workspaces' {
        & $script:remove $script:profile | Should -BeTrue
        $script:root | Should -Not -Exist
        Join-Path $script:other 'keep.txt' | Should -Exist
    }
    It 'removes read-only files too' {
        $file = Get-Item -Force -LiteralPath (Join-Path $script:root '.gitconfig')
        $file.Attributes = $file.Attributes -bor [System.IO.FileAttributes]::ReadOnly
        & $script:remove $script:profile | Should -BeTrue
        $script:root | Should -Not -Exist
    }
    It 'removes a link a session left inside as a link, never what it points to' {
        $target = Join-Path $TestDrive "system-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $null = New-Item -ItemType Directory -Path (Join-Path $target 'sub')
        Set-Content -LiteralPath (Join-Path $target 'sub/precious.dll') -Value 'x'
        # A junction on Windows (no privilege needed, so a session can make one), a symbolic link elsewhere.
        $type = if ($IsWindowsHost) { 'Junction' } else { 'SymbolicLink' }
        $null = New-Item -ItemType $type -Path (Join-Path $script:root 'AppData/Roaming/escape') -Target $target
        & $script:remove $script:profile | Should -BeTrue
        $script:root | Should -Not -Exist
        Join-Path $target 'sub/precious.dll' | Should -Exist
    }
    It 'removes a link at ws-id itself as a link' {
        $target = Join-Path $TestDrive "elsewhere-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $null = New-Item -ItemType Directory -Path $target
        Set-Content -LiteralPath (Join-Path $target 'precious.txt') -Value 'x'
        Remove-Item -LiteralPath $script:root -Recurse -Force
        $type = if ($IsWindowsHost) { 'Junction' } else { 'SymbolicLink' }
        $null = New-Item -ItemType $type -Path $script:root -Target $target
        & $script:remove $script:profile | Should -BeTrue
        Test-Path -LiteralPath $script:root | Should -BeFalse
        Join-Path $target 'precious.txt' | Should -Exist
    }
    It 'does nothing, and says so, when there is no folder for the workspace' {
        & $script:remove $script:profile 'C:\src\never-granted' | Should -BeFalse
        Join-Path $script:other 'keep.txt' | Should -Exist
    }
    It 'removes nothing with -WhatIf' {
        & $script:remove $script:profile -WhatIf | Should -BeFalse
        Join-Path $script:root '.gitconfig' | Should -Exist
    }
}
