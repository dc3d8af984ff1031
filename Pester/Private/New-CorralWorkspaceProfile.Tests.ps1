Describe 'New-CorralWorkspaceProfile' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
        $script:identity = 'S-1-5-21-1-2-3-2001'
        $script:capability = 'S-1-5-21-7-8-9-10'
        $script:make = {
            param([string]$ProfilePath, [string]$Workspace = 'C:\src\app', [switch]$WhatIf)
            InModuleScope Corral -Parameters @{ P = $ProfilePath; W = $Workspace; I = $script:identity; C = $script:capability; WI = [bool]$WhatIf } {
                param($P, $W, $I, $C, $WI)
                New-CorralWorkspaceProfile -ProfilePath $P -Workspace $W -IdentitySid $I -CapabilitySid $C -WhatIf:$WI -Confirm:$false
            }
        }
    }
    BeforeEach {
        Mock -ModuleName Corral Set-CorralFileAcl { }
        $script:profile = Join-Path $TestDrive ([guid]::NewGuid().ToString('n').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $script:profile
    }
    It 'makes corral-ws\ws-id with AppData\Roaming, AppData\Local and Temp, and says it did' {
        $r = & $script:make $script:profile
        $root = Join-Path (Join-Path $script:profile 'corral-ws') 'ws-223479b1852924db'
        $r.Path | Should -Be $root
        $r.Created | Should -BeTrue
        foreach ($dir in $r.Roaming, $r.Local, $r.Temp) { $dir | Should -Exist }
        $r.Roaming | Should -Be (Join-Path (Join-Path $root 'AppData') 'Roaming')
        $r.Local | Should -Be (Join-Path (Join-Path $root 'AppData') 'Local')
        $r.Temp | Should -Be (Join-Path $root 'Temp')
    }
    It 'writes protected DACLs, owner Administrators: corral-ws without the capability SID, ws-id with it (Modify, inherited) — the runner''s ACEs' {
        $r = & $script:make $script:profile
        $full = [int][System.Security.AccessControl.FileSystemRights]::FullControl
        $modify = [int][System.Security.AccessControl.FileSystemRights]'Modify, Synchronize'
        $modify | Should -Be 0x1301bf -Because 'runner/windows/workspace-profile.ts MODIFY_SYNCHRONIZE'
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
            $Path -eq (Join-Path $script:profile 'corral-ws') -and $Owner -eq 'S-1-5-32-544' -and
            (@($Aces | ForEach-Object { $_['sid'] }) -join ',') -eq "$($script:identity),S-1-5-18,S-1-5-32-544" -and
            @($Aces | Where-Object { $_['rights'] -ne $full -or $_['inheritance'] -ne 3 -or $_['type'] -ne 'Allow' }).Count -eq 0
        }
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 1 -Exactly -ParameterFilter {
            $Path -eq $r.Path -and $Owner -eq 'S-1-5-32-544' -and
            (@($Aces | ForEach-Object { "$($_['sid'])=$($_['rights'])/$($_['inheritance'])" }) -join ',') -eq "$($script:identity)=$full/3,$($script:capability)=$modify/3,S-1-5-18=$full/3,S-1-5-32-544=$full/3"
        }
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 2 -Exactly
    }
    It 'keeps existing folders and their content, re-applies the DACLs, and reports nothing created' {
        $first = & $script:make $script:profile
        Set-Content -LiteralPath (Join-Path $first.Roaming 'kept.txt') -Value 'x'
        $again = & $script:make $script:profile
        $again.Created | Should -BeFalse
        Join-Path $first.Roaming 'kept.txt' | Should -Exist
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 4 -Exactly
    }
    It 'gives two workspaces two folders' {
        $a = & $script:make $script:profile 'C:\src\app'
        $b = & $script:make $script:profile 'C:\src\other'
        $a.Path | Should -Not -Be $b.Path
        (Split-Path -Parent $a.Path) | Should -Be (Split-Path -Parent $b.Path)
    }
    It 'makes nothing and writes no ACL with -WhatIf' {
        $r = & $script:make $script:profile -WhatIf
        $r.Created | Should -BeFalse
        Join-Path $script:profile 'corral-ws' | Should -Not -Exist
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 0 -Exactly
    }
    It 'refuses (CorralStepFailed) a link at <At> and writes no ACL through it' -ForEach @(@{ At = 'corral-ws' }, @{ At = 'corral-ws\ws-id' }) {
        $target = Join-Path $TestDrive "elsewhere-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $null = New-Item -ItemType Directory -Path $target
        $container = Join-Path $script:profile 'corral-ws'
        $link = if ($At -eq 'corral-ws') { $container } else { $null = New-Item -ItemType Directory -Path $container; Join-Path $container 'ws-223479b1852924db' }
        # A junction on Windows (no privilege needed: what a lower principal could make), a symbolic link elsewhere.
        $type = if ($IsWindowsHost) { 'Junction' } else { 'SymbolicLink' }
        $null = New-Item -ItemType $type -Path $link -Target $target
        { & $script:make $script:profile } | Should -Throw -ErrorId 'CorralStepFailed*'
        @(Get-ChildItem -LiteralPath $target -Force).Count | Should -Be 0
        Should -Invoke Set-CorralFileAcl -ModuleName Corral -Times 0 -Exactly -ParameterFilter { $Path -eq $link }
    }
    It 'refuses a file where ws-id should be a folder' {
        $container = Join-Path $script:profile 'corral-ws'
        $null = New-Item -ItemType Directory -Path $container
        Set-Content -LiteralPath (Join-Path $container 'ws-223479b1852924db') -Value 'x'
        { & $script:make $script:profile } | Should -Throw -ErrorId 'CorralStepFailed*'
    }
}
