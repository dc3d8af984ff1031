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
    It 'never follows a junction planted in place of corral-ws: removes the link only, keeps the folder it leads to, and warns' {
        # The identity owns its profile: it can empty and delete corral-ws and put a junction
        # there, to a folder holding a ws-<id> of someone else's.
        $target = Join-Path $TestDrive "victim-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $victim = Join-Path $target 'ws-223479b1852924db'
        $null = New-Item -ItemType Directory -Path $victim
        Set-Content -LiteralPath (Join-Path $victim 'precious.txt') -Value 'x'
        Remove-Item -LiteralPath (Join-Path $script:profile 'corral-ws') -Recurse -Force
        $type = if ($IsWindowsHost) { 'Junction' } else { 'SymbolicLink' }
        $null = New-Item -ItemType $type -Path (Join-Path $script:profile 'corral-ws') -Target $target
        $warnings = $null
        $result = InModuleScope Corral -Parameters @{ P = $script:profile } {
            param($P)
            Remove-CorralWorkspaceProfile -ProfilePath $P -Workspace 'C:\src\app' -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
            $script:w = $w
        }
        $result | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $script:profile 'corral-ws') | Should -BeFalse
        Join-Path $victim 'precious.txt' | Should -Exist
        (InModuleScope Corral { $script:w }) -join ' ' | Should -Match 'junction or link'
    }
    It 'refuses (CorralStepFailed) and deletes nothing when the profile folder itself is a junction' {
        $real = Join-Path $TestDrive "real-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $null = New-Item -ItemType Directory -Path (Join-Path (Join-Path $real 'corral-ws') 'ws-223479b1852924db') -Force
        Set-Content -LiteralPath (Join-Path (Join-Path (Join-Path $real 'corral-ws') 'ws-223479b1852924db') 'precious.txt') -Value 'x'
        $link = Join-Path $TestDrive "link-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $type = if ($IsWindowsHost) { 'Junction' } else { 'SymbolicLink' }
        $null = New-Item -ItemType $type -Path $link -Target $real
        $caught = $null
        try { & $script:remove $link } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Match '^CorralStepFailed'
        $caught.Exception.Message | Should -Match 'junction or link'
        Join-Path (Join-Path (Join-Path $real 'corral-ws') 'ws-223479b1852924db') 'precious.txt' | Should -Exist
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
