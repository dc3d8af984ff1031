function Install-CorralRunner {
    <#
    .SYNOPSIS
    Installs the session runner, its dependencies and node.exe under %ProgramFiles%\Corral, writable by no unprivileged account.

    .DESCRIPTION
    Copies package.json, dist\ and node_modules\ from -Source to <ProgramFiles>\Corral\app and
    node.exe to <ProgramFiles>\Corral\node.exe, through a staging folder that gets its ACL
    before anything is copied into it: protected from inheritance, Administrators and SYSTEM
    full control, Users and CorralSandboxUsers read and execute, owner Administrators. Threat
    model: an identity that could edit its own runner could drop the restricted token for
    later sessions, so nothing an unprivileged account can write may be loaded by it.
    Idempotent: a SHA-256 digest of the installed files is kept in state.json; when the source
    has the same digest nothing is copied. The first install is journaled (kind directory).

    .PARAMETER Source
    The built package: the folder holding package.json, dist\ and node_modules\.

    .PARAMETER NodePath
    The node.exe to install; default the one on PATH.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Install-CorralRunner -Source C:\build\corral -Confirm:$false

    .OUTPUTS
    PSCustomObject with Dir, Node, Entry, Digest and Changed.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$Source,
        [string]$NodePath = '',
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $installation = Get-CorralInstallation
    if (-not $NodePath) {
        $node = Get-Command -Name node.exe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $node) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralToolMissing' -Category ObjectNotFound `
                -Message 'node.exe is not on PATH; install Node.js 20 or later, or pass -NodePath.'))
        }
        $NodePath = $node.Source
    }
    $items = @('package.json', 'dist', 'node_modules')
    foreach ($item in $items) {
        if (-not (Test-Path -LiteralPath (Join-Path $Source $item))) {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralConfigInvalid' -Category ObjectNotFound -TargetObject $Source `
                -Message "$Source has no $item; pass the folder of the built Corral package (npm ci && npm run build)."))
        }
    }
    $group = Get-LocalGroup -Name $installation.SandboxGroup -ErrorAction SilentlyContinue
    if (-not $group) {
        $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Category ObjectNotFound `
            -Message "Group $($installation.SandboxGroup) does not exist; run Install-CorralGroup first."))
    }
    $digestOf = {
        param([string]$appDir, [string]$nodeExe)
        $lines = [System.Collections.Generic.List[string]]::new()
        $lines.Add('node.exe ' + (Get-FileHash -LiteralPath $nodeExe -Algorithm SHA256).Hash)
        foreach ($file in (Get-ChildItem -LiteralPath $appDir -Recurse -File -Force | Sort-Object FullName)) {
            $relative = $file.FullName.Substring($appDir.Length).TrimStart([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar)
            $relative = $relative -replace '/', '\'
            if ($relative -notmatch '^(package\.json|dist\\|node_modules\\)') { continue }
            $lines.Add($relative + ' ' + (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash)
        }
        $sha = [System.Security.Cryptography.SHA256]::Create()
        try { (-join ($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes(($lines -join "`n"))) | ForEach-Object { $_.ToString('x2') })) }
        finally { $sha.Dispose() }
    }
    $state = Read-CorralStateFile
    $sourceDigest = & $digestOf ([System.IO.Path]::GetFullPath($Source).TrimEnd([System.IO.Path]::DirectorySeparatorChar, [System.IO.Path]::AltDirectorySeparatorChar)) $NodePath
    $recorded = $state['runner']
    $result = [pscustomobject]@{ Dir = $installation.LibDir; Node = $installation.RunnerNode; Entry = $installation.RunnerEntry; Digest = $sourceDigest; Changed = $false }
    if ($recorded -and $recorded['digest'] -eq $sourceDigest -and (Test-Path -LiteralPath $installation.RunnerNode) -and (Test-Path -LiteralPath $installation.RunnerEntry)) {
        return $result
    }
    if (-not $PSCmdlet.ShouldProcess($installation.LibDir, "Install the Corral runner from $Source")) { return $result }

    $staging = "$($installation.LibDir).new"
    if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $staging -Force
    Set-CorralPrivateAcl -Path $staging -ReaderSids @('S-1-5-32-545', $group.SID.Value) -Container -ReadExecute -Confirm:$false
    $app = Join-Path $staging 'app'
    $null = New-Item -ItemType Directory -Path $app
    foreach ($item in $items) { Copy-Item -LiteralPath (Join-Path $Source $item) -Destination $app -Recurse -Force -ErrorAction Stop }
    Copy-Item -LiteralPath $NodePath -Destination (Join-Path $staging 'node.exe') -Force -ErrorAction Stop
    # Digest of what was copied, not of the source (which an unprivileged user may change meanwhile).
    $installedDigest = & $digestOf $app (Join-Path $staging 'node.exe')

    $firstInstall = -not (Test-Path -LiteralPath $installation.LibDir)
    $swap = {
        if (Test-Path -LiteralPath $installation.LibDir) { Remove-Item -LiteralPath $installation.LibDir -Recurse -Force -ErrorAction Stop }
        Move-Item -LiteralPath $staging -Destination $installation.LibDir -ErrorAction Stop
    }
    if ($firstInstall) {
        $null = Invoke-CorralJournaledChange -Kind 'directory' -Scope 'machine' -Undo ([ordered]@{ path = $installation.LibDir }) -Description "Installing $($installation.LibDir)" -Change $swap
    } else {
        $null = & $swap
    }
    $state = Read-CorralStateFile
    $state['runner'] = [ordered]@{ dir = $installation.LibDir; node = $installation.RunnerNode; entry = $installation.RunnerEntry; digest = $installedDigest }
    Write-CorralStateFile -State $state -Confirm:$false
    $result.Digest = $installedDigest
    $result.Changed = $true
    return $result
}
