function Install-Corral {
    <#
    .SYNOPSIS
    Provisions Corral for one real user: group, both identities, credentials, firewall, runner, grants.

    .DESCRIPTION
    Runs the idempotent steps in order, each journaled by the function that does it:
    Install-CorralGroup; New-CorralIdentity for the offline and online identities (which also
    stores their DPAPI-protected passwords, hides them and puts them in the user's own group,
    Install-CorralUserGroup, which the workspace and traverse ACEs name); New-CorralFirewallRule for the
    offline identity (with the allowlist proxy's port, -ProxyPort), verified by Test-CorralFirewallEffective (CorralFirewallIneffective
    stops the install: fail closed); Install-CorralRunner when -RunnerSource is given;
    Grant-CorralWorkspace for each workspace; Grant-CorralTraverse; and records the user's
    default network. A re-run changes nothing and says so (Changed = $false, Summary
    "No changes: … is already provisioned as requested").

    .PARAMETER User
    The real user (alice, DOMAIN\alice).

    .PARAMETER Workspace
    Workspace folders to grant (absolute, owned by the user).

    .PARAMETER Network
    The user's default network for sessions: offline or online.

    .PARAMETER Protected
    Protected names or paths inside each workspace (see Grant-CorralWorkspace).

    .PARAMETER DenyRead
    Paths the identities may never read (see Grant-CorralTraverse).

    .PARAMETER LoopbackPort
    Loopback ports the offline identity may reach; none blocks loopback.

    .PARAMETER ProxyPort
    The loopback TCP port of the allowlist network's filtering proxy (1024-65535), which the
    offline identity's firewall rules admit (see New-CorralFirewallRule); 0 for none (allowlist
    sessions are then refused). Default: the port recorded for the user by an earlier setup,
    else 41817 (a port no common software uses: squid and cntlm take 3128, and whatever listens
    on this port is reachable by every offline session).

    .PARAMETER Toolchain
    Toolchain folders in the user's profile to make readable (see Grant-CorralTraverse).

    .PARAMETER RunnerSource
    Folder of the built Corral package to install the runner from; omit to leave the runner as it is.

    .PARAMETER NodePath
    node.exe to install with the runner; default the one on PATH.

    .PARAMETER Force
    Skip the confirmation prompt.

    .EXAMPLE
    Install-Corral -User alice -Workspace C:\Users\alice\src\app -Network offline -RunnerSource C:\corral -Confirm:$false

    .OUTPUTS
    PSCustomObject with User, Changed, Changes and Summary.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$User,
        [string[]]$Workspace = @(),
        [ValidateSet('offline', 'online')]
        [string]$Network = 'offline',
        [string[]]$Protected = @('.git', '.corral', '.vscode', '.idea', '.mcp.json'),
        [string[]]$DenyRead = @('~\.ssh', '~\.gnupg', '~\.aws', '~\.azure', '~\.kube', '~\.docker', '~\.config\gh', '~\.npmrc', '~\.netrc'),
        [ValidateRange(1, 65535)]
        [int[]]$LoopbackPort = @(),
        [ValidateScript({ $_ -eq 0 -or ($_ -ge 1024 -and $_ -le 65535) })]
        [int]$ProxyPort = 41817,
        [string[]]$Toolchain = @('.cargo', '.rustup', '.nvm', 'AppData\Roaming\npm', 'AppData\Roaming\nvm', '.dotnet', 'go'),
        [string]$RunnerSource = '',
        [string]$NodePath = '',
        [switch]$Force
    )
    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    Assert-CorralElevation
    $common = @{ Confirm = $false; WhatIf = [bool]$WhatIfPreference }
    $changes = [System.Collections.Generic.List[string]]::new()
    $collect = { param($result) if ($result -and $result.Changed) { foreach ($c in @($result.Changes)) { if ($c) { $changes.Add($c) } } } }

    $group = Install-CorralGroup @common
    if ($group.Changed) { $changes.Add("created group $($group.Name)") }
    foreach ($kind in @('offline', 'online')) { & $collect (New-CorralIdentity -User $User -Network $kind @common) }
    if (-not $WhatIfPreference) {
        if (-not $PSBoundParameters.ContainsKey('ProxyPort')) {
            # Keep the port an earlier setup chose (its rules and the users' sessions use it).
            $recordedUsers = (Read-CorralStateFile)['users']
            if ($recordedUsers.Contains($User) -and $recordedUsers[$User]['firewall']) { $ProxyPort = [int]$recordedUsers[$User]['firewall']['proxyPort'] }
        }
        & $collect (New-CorralFirewallRule -User $User -LoopbackPort $LoopbackPort -ProxyPort $ProxyPort @common)
    }
    if ($RunnerSource) {
        $runner = Install-CorralRunner -Source $RunnerSource -NodePath $NodePath @common
        if ($runner.Changed) { $changes.Add("installed the runner in $($runner.Dir)") }
    }
    $recorded = (Read-CorralStateFile)['users']
    $hasIdentities = $recorded -and $recorded.Contains($User) -and $recorded[$User]['identities'] -and $recorded[$User]['identities'].Count -gt 0
    if ($WhatIfPreference -and -not $hasIdentities) {
        # -WhatIf on a machine where the identities do not exist yet: the grants name the user's
        # group, which the steps above only pretended to create, so they cannot be planned ACE by
        # ACE. Still check what can be checked without writing (the user resolves, each workspace
        # is valid and the user's: the same errors and exit codes a real run would give first),
        # and say what would be done.
        $realUser = Resolve-CorralRealUser -User $User
        foreach ($folder in $Workspace) {
            $root = Resolve-CorralWorkspacePath -Path $folder -OwnerSid $realUser.Sid
            $null = $PSCmdlet.ShouldProcess($root, "Grant the workspace to the sandbox identities of $User")
        }
        $null = $PSCmdlet.ShouldProcess($User, 'Grant traverse and toolchain access to the sandbox identities')
    } else {
        foreach ($folder in $Workspace) {
            & $collect (Grant-CorralWorkspace -User $User -Path $folder -Protected $Protected -DenyRead $DenyRead @common)
        }
        $traverse = Grant-CorralTraverse -User $User -Workspace $Workspace -Toolchain $Toolchain -DenyRead $DenyRead @common
        if ($traverse.Changed) { $changes.Add("added $($traverse.AcesAdded.Count) and removed $($traverse.StaleRemoved) traverse/toolchain ACEs") }
    }

    if (-not $WhatIfPreference) {
        $state = Read-CorralStateFile
        if ($state['users'].Contains($User) -and $state['users'][$User]['network'] -ne $Network) {
            $state['users'][$User]['network'] = $Network
            Write-CorralStateFile -State $state -Confirm:$false
            $changes.Add("default network of $User set to $Network")
        }
    }
    $summary = if ($changes.Count -eq 0) { "No changes: $User is already provisioned as requested." } else { "$($changes.Count) change(s) made." }
    [pscustomobject]@{ User = $User; Changed = ($changes.Count -gt 0); Changes = $changes.ToArray(); Summary = $summary }
}
