# A simulated Windows for the Corral module, on PowerShell 7 (any OS). Test-only: production
# code never imports it.
#
# It stands in for the Windows-only things ps-module/Corral calls:
#  - LocalAccounts (Get/Set/Enable/Remove-LocalUser, Get/New/Remove-LocalGroup,
#    Get/Add/Remove-LocalGroupMember) and NetSecurity (Get/New/Set/Remove-NetFirewallRule, the
#    three filter readers, Get-NetFirewallProfile): global functions of the real names, which
#    PowerShell resolves before any cmdlet of that name;
#  - the module's own seams (ConvertTo-CorralSid, the registry and ACL seams, Protect-CorralBytes,
#    Add-CorralNetUser, Remove-CorralUserProfile, New-CorralUserProfile, Test-CorralElevation):
#    replaced inside the loaded Corral module by Enable-CorralWindowsSim, the way Pester's Mock
#    replaces a command in a module's scope.
#
# State: one JSON file ($env:CORRAL_SIM_STATE), read and written on every call, so that every
# process of one test (the node-powershell session, the "elevated" elevated-host.ps1, install.ps1)
# sees one machine. Every change also bumps `seq` and is logged in `changes`, so a test can tell
# the order of writes (install.ps1's detection key last).
#
# Elevation and identity: $env:CORRAL_SIM_IDENTITY is the SID this process runs as
# (S-1-5-18 = SYSTEM); $env:CORRAL_SIM_ELEVATED = '1' means the token holds Administrators.
#
# What this proves: that Corral's orchestration and PowerShell logic do the right things in the
# right order on PowerShell 7, against a model of Windows. It proves nothing about Windows
# security (whether the ACEs and rules really confine anything) nor about Windows PowerShell 5.1.
Set-StrictMode -Version 3.0

$script:MachineSid = 'S-1-5-21-1000-2000-3000'
# This folder (the seams below run in the Corral module's session state, where $PSScriptRoot is not ours).
$script:SimRoot = $PSScriptRoot

function Get-SimPath {
    if (-not $env:CORRAL_SIM_STATE) { throw 'CORRAL_SIM_STATE is not set: call Initialize-CorralWindowsSim first.' }
    return $env:CORRAL_SIM_STATE
}

function Read-SimState {
    $text = [System.IO.File]::ReadAllText((Get-SimPath))
    return ConvertFrom-Json -InputObject $text -AsHashtable -Depth 50
}

function Save-SimState {
    param([Parameter(Mandatory)][hashtable]$State, [Parameter(Mandatory)][string]$Change)
    $State['seq'] = [int]$State['seq'] + 1
    $State['changes'] = @($State['changes']) + @("$($State['seq']) $Change")
    $json = ConvertTo-Json -InputObject $State -Depth 50
    $path = Get-SimPath
    [System.IO.File]::WriteAllText("$path.tmp", $json)
    Move-Item -LiteralPath "$path.tmp" -Destination $path -Force
}

function New-SimSid {
    # Stands for System.Security.Principal.SecurityIdentifier as the LocalAccounts objects carry
    # it: .Value is the string form, and it prints as that string.
    param([Parameter(Mandatory)][string]$Value)
    $sid = [pscustomobject]@{ Value = $Value }
    $sid | Add-Member -MemberType ScriptMethod -Name ToString -Value { $this.Value } -Force
    return $sid
}

function Get-SimSidValue {
    param($Sid)
    if ($null -eq $Sid) { return $null }
    if ($Sid -is [string]) { return $Sid }
    if ($Sid.PSObject.Properties['Value']) { return [string]$Sid.Value }
    if ($Sid.PSObject.Properties['SID']) { return Get-SimSidValue $Sid.SID }
    return [string]$Sid
}

function Initialize-CorralWindowsSim {
    <#
    .SYNOPSIS
    Creates a fresh simulated machine in a state file and points this process at it.
    .DESCRIPTION
    The machine has the built-in accounts and groups Corral names (SYSTEM, Administrators,
    Users), the firewall enabled on the Domain, Private and Public profiles with local rules
    applied, and the given real users (local or domain, e.g. AzureAD\alice) with their profile
    folders and ProfileList keys. Each real user owns their profile folder (the owner Windows
    gives a profile). Returns the state file path.
    #>
    param(
        [Parameter(Mandatory)][string]$StateFile,
        [hashtable[]]$RealUsers = @(),
        [string]$Identity = 'S-1-5-18',
        [switch]$Elevated
    )
    $state = [ordered]@{
        seq          = 0
        changes      = @()
        nextRid      = 1001
        users        = [ordered]@{}
        groups       = [ordered]@{
            # Built-in aliases: well-known SIDs, as on every Windows machine.
            administrators = [ordered]@{ name = 'Administrators'; sid = 'S-1-5-32-544'; description = ''; members = @() }
            users          = [ordered]@{ name = 'Users'; sid = 'S-1-5-32-545'; description = ''; members = @() }
        }
        accounts     = [ordered]@{
            # NTAccount names Translate() resolves: local accounts are added as they are created.
            'nt authority\system'    = 'S-1-5-18'
            'builtin\administrators' = 'S-1-5-32-544'
            'builtin\users'          = 'S-1-5-32-545'
        }
        firewall     = [ordered]@{
            rules    = [ordered]@{}
            # Get-NetFirewallProfile -PolicyStore ActiveStore: local settings merged with Group Policy.
            profiles = [ordered]@{
                Domain  = [ordered]@{ Enabled = 'True'; DefaultOutboundAction = 'NotConfigured'; AllowLocalFirewallRules = 'NotConfigured' }
                Private = [ordered]@{ Enabled = 'True'; DefaultOutboundAction = 'NotConfigured'; AllowLocalFirewallRules = 'NotConfigured' }
                Public  = [ordered]@{ Enabled = 'True'; DefaultOutboundAction = 'NotConfigured'; AllowLocalFirewallRules = 'NotConfigured' }
            }
        }
        acls         = [ordered]@{}
        registry     = [ordered]@{}
        dpapi        = [ordered]@{}
        profiles     = [ordered]@{}
    }
    $env:CORRAL_SIM_STATE = $StateFile
    $env:CORRAL_SIM_IDENTITY = $Identity
    $env:CORRAL_SIM_ELEVATED = if ($Elevated) { '1' } else { '0' }
    $json = ConvertTo-Json -InputObject $state -Depth 50
    [System.IO.File]::WriteAllText($StateFile, $json)
    foreach ($realUser in $RealUsers) { Add-SimRealUser @realUser }
    return $StateFile
}

function Add-SimRealUser {
    <#
    .SYNOPSIS
    Adds a real (human) account: resolvable by name, with a profile folder it owns and a ProfileList key.
    #>
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Sid,
        [string]$ProfilePath = ''
    )
    $state = Read-SimState
    $state['accounts'][$Name.ToLowerInvariant()] = $Sid
    # Not `??`: every file of the project parses on Windows PowerShell 5.1 too (Pester/Module).
    $computer = if ($env:COMPUTERNAME) { $env:COMPUTERNAME } else { 'SIMPC' }
    if (-not $Name.Contains('\')) { $state['accounts']["$computer\$Name".ToLowerInvariant()] = $Sid }
    if ($ProfilePath) {
        $null = New-Item -ItemType Directory -Path $ProfilePath -Force
        $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid".ToLowerInvariant()
        $state['registry'][$key] = [ordered]@{ ProfileImagePath = [ordered]@{ value = $ProfilePath; kind = 'String' } }
        $state['acls'][(Get-SimAclKey $ProfilePath)] = [ordered]@{ owner = $Sid; protected = $true; aces = @(
                [ordered]@{ sid = $Sid; rights = 2032127; type = 'Allow'; inheritance = 3; propagation = 0 },
                [ordered]@{ sid = 'S-1-5-18'; rights = 2032127; type = 'Allow'; inheritance = 3; propagation = 0 },
                [ordered]@{ sid = 'S-1-5-32-544'; rights = 2032127; type = 'Allow'; inheritance = 3; propagation = 0 }) }
    }
    Save-SimState -State $state -Change "real user $Name $Sid"
}

function Set-SimOwner {
    <#
    .SYNOPSIS
    Sets the recorded owner of a path (stands for the owner NTFS keeps in the security descriptor: the creator, or whoever took ownership).
    #>
    param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Sid)
    $state = Read-SimState
    $key = Get-SimAclKey $Path
    if (-not $state['acls'].Contains($key)) { $state['acls'][$key] = [ordered]@{ owner = $Sid; protected = $false; aces = @() } }
    $state['acls'][$key]['owner'] = $Sid
    Save-SimState -State $state -Change "owner $Path $Sid"
}

function Add-SimLocalUser {
    <#
    .SYNOPSIS
    Creates a local account the way anything but Corral would (net user /add, another tool, an administrator): a SAM account with the next RID, enabled, in no group, in no journal. Returns its SID.
    #>
    param([Parameter(Mandatory)][string]$Name, [string]$Description = '')
    $state = Read-SimState
    $sid = New-SimAccount -State $state -Name $Name
    if (-not $sid) { throw "The user or group $Name already exists." }
    $state['users'][$Name.ToLowerInvariant()] = [ordered]@{ name = $Name; sid = $sid; enabled = $true; description = $Description; passwordNeverExpires = $false; userMayChangePassword = $true; passwordVersion = 1 }
    Save-SimState -State $state -Change "new user $Name (not by Corral)"
    return $sid
}

function Set-SimFirewallProfile {
    <#
    .SYNOPSIS
    Changes a firewall profile of the active policy (stands for Set-NetFirewallProfile or a Group Policy setting).
    #>
    param([Parameter(Mandatory)][ValidateSet('Domain', 'Private', 'Public')][string]$Name, [string]$Enabled, [string]$AllowLocalFirewallRules)
    $state = Read-SimState
    if ($Enabled) { $state['firewall']['profiles'][$Name]['Enabled'] = $Enabled }
    if ($AllowLocalFirewallRules) { $state['firewall']['profiles'][$Name]['AllowLocalFirewallRules'] = $AllowLocalFirewallRules }
    Save-SimState -State $state -Change "firewall profile $Name"
}

function Get-CorralWindowsSimState {
    <#
    .SYNOPSIS
    The simulated machine as a hashtable (for assertions), optionally without the change log, and normalized (-Normalize: no ACL records of paths gone from disk, none equal to an untouched path's).
    #>
    param([switch]$WithoutLog, [switch]$Normalize)
    $state = Read-SimState
    if ($WithoutLog) { $state.Remove('seq'); $state.Remove('changes') }
    if ($Normalize) {
        # Drops what is the sim's bookkeeping, not the machine's state, so that two machines
        # compare by what Windows would hold:
        #  - Stands for NTFS keeping a security descriptor in the file itself: a path that was
        #    deleted (or moved away) has no ACL left. The sim keys ACLs by path and cannot see a
        #    Remove-Item or Move-Item, so the records of paths gone from disk are dropped.
        #  - A record equal to the one every untouched path reads as (Get-SimAclRecord: owner
        #    Administrators, inheritance on, no explicit ACE) is the same DACL as no record: on
        #    Windows, removing the last explicit ACE leaves the descriptor as it was.
        foreach ($path in @($state['acls'].Keys)) {
            $record = $state['acls'][$path]
            $default = $record['owner'] -eq 'S-1-5-32-544' -and -not $record['protected'] -and @($record['aces']).Count -eq 0
            if ($default -or -not (Test-Path -LiteralPath $path)) { $state['acls'].Remove($path) }
        }
    }
    return $state
}

# ---------------------------------------------------------------------------------------------
# LocalAccounts stand-ins.

function ConvertTo-SimLocalUser {
    param([hashtable]$User)
    # Stands for Microsoft.PowerShell.Commands.LocalUser: PasswordExpires is $null when the
    # password never expires.
    [pscustomobject]@{
        Name                  = $User['name']
        SID                   = New-SimSid $User['sid']
        Enabled               = [bool]$User['enabled']
        Description           = $User['description']
        UserMayChangePassword = [bool]$User['userMayChangePassword']
        PasswordExpires       = if ($User['passwordNeverExpires']) { $null } else { [DateTime]::UtcNow.AddDays(42) }
        PrincipalSource       = 'Local'
        ObjectClass           = 'User'
    }
}

function Find-SimUser {
    param([hashtable]$State, [string]$Name, $Sid)
    if ($Name) { return $State['users'][$Name.ToLowerInvariant()] }
    $value = Get-SimSidValue $Sid
    foreach ($user in $State['users'].Values) { if ($user['sid'] -eq $value) { return $user } }
    return $null
}

function Write-SimNotFound {
    param([string]$What, [string]$ErrorId)
    # Stands for LocalAccounts' UserNotFound / GroupNotFound (a non-terminating error, so
    # -ErrorAction SilentlyContinue yields $null and Stop throws).
    Write-Error -Message "$What was not found." -ErrorId $ErrorId -Category ObjectNotFound -TargetObject $What
}

function Get-LocalUser {
    [CmdletBinding()]
    param([string]$Name, $SID)
    $state = Read-SimState
    if (-not $Name -and -not $SID) { foreach ($u in $state['users'].Values) { ConvertTo-SimLocalUser $u }; return }
    $user = Find-SimUser -State $state -Name $Name -Sid $SID
    if (-not $user) { Write-SimNotFound -What "User $Name$(Get-SimSidValue $SID)" -ErrorId 'UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand'; return }
    ConvertTo-SimLocalUser $user
}

function New-SimAccount {
    # Stands for SAM: a new account gets the machine SID plus the next RID; names are unique
    # across users and groups (one namespace), case-insensitively.
    param([hashtable]$State, [string]$Name)
    $key = $Name.ToLowerInvariant()
    if ($State['users'].Contains($key) -or $State['groups'].Contains($key)) { return $null }
    $sid = "$script:MachineSid-$($State['nextRid'])"
    $State['nextRid'] = [int]$State['nextRid'] + 1
    $State['accounts'][$key] = $sid
    $State['accounts']["simpc\$key"] = $sid
    return $sid
}

function Set-LocalUser {
    [CmdletBinding(SupportsShouldProcess)]
    param($SID, [string]$Name, [object]$PasswordNeverExpires, [object]$UserMayChangePassword, [securestring]$Password, [string]$Description)
    $state = Read-SimState
    $user = Find-SimUser -State $state -Name $Name -Sid $SID
    if (-not $user) { throw "User $Name$(Get-SimSidValue $SID) was not found." }
    if ($PSBoundParameters.ContainsKey('PasswordNeverExpires')) { $user['passwordNeverExpires'] = [bool]$PasswordNeverExpires }
    if ($PSBoundParameters.ContainsKey('UserMayChangePassword')) { $user['userMayChangePassword'] = [bool]$UserMayChangePassword }
    if ($PSBoundParameters.ContainsKey('Description')) { $user['description'] = $Description }
    if ($Password) { $user['passwordVersion'] = [int]$user['passwordVersion'] + 1 }
    Save-SimState -State $state -Change "set user $($user['name'])"
}

function Enable-LocalUser {
    [CmdletBinding(SupportsShouldProcess)]
    param($SID, [string]$Name)
    $state = Read-SimState
    $user = Find-SimUser -State $state -Name $Name -Sid $SID
    if (-not $user) { throw "User $Name$(Get-SimSidValue $SID) was not found." }
    $user['enabled'] = $true
    Save-SimState -State $state -Change "enable user $($user['name'])"
}

function Disable-LocalUser {
    # Stands for Disable-LocalUser (NetUserSetInfo with UF_ACCOUNTDISABLE): the account stays,
    # and a logon as it fails (ERROR_ACCOUNT_DISABLED). The module never calls it; tests make
    # drift with it, as an administrator would.
    [CmdletBinding(SupportsShouldProcess)]
    param($SID, [string]$Name)
    $state = Read-SimState
    $user = Find-SimUser -State $state -Name $Name -Sid $SID
    if (-not $user) { throw "User $Name$(Get-SimSidValue $SID) was not found." }
    $user['enabled'] = $false
    Save-SimState -State $state -Change "disable user $($user['name'])"
}

function Remove-LocalUser {
    # Stands for NetUserDel: the account goes, and with it its group memberships; its profile
    # folder and ProfileList key stay (Windows leaves them; Corral removes them separately).
    [CmdletBinding(SupportsShouldProcess)]
    param($SID, [string]$Name)
    $state = Read-SimState
    $user = Find-SimUser -State $state -Name $Name -Sid $SID
    if (-not $user) { throw "User $Name$(Get-SimSidValue $SID) was not found." }
    $key = $user['name'].ToLowerInvariant()
    $state['users'].Remove($key)
    $state['accounts'].Remove($key)
    $state['accounts'].Remove("simpc\$key")
    foreach ($group in $state['groups'].Values) { $group['members'] = @(@($group['members']) | Where-Object { $_ -ne $user['sid'] }) }
    Save-SimState -State $state -Change "remove user $($user['name'])"
}

function Get-LocalGroup {
    [CmdletBinding()]
    param([string]$Name)
    $state = Read-SimState
    $group = $state['groups'][$Name.ToLowerInvariant()]
    if (-not $group) { Write-SimNotFound -What "Group $Name" -ErrorId 'GroupNotFound,Microsoft.PowerShell.Commands.GetLocalGroupCommand'; return }
    [pscustomobject]@{ Name = $group['name']; SID = New-SimSid $group['sid']; Description = $group['description']; ObjectClass = 'Group' }
}

function New-LocalGroup {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Name, [string]$Description = '')
    $state = Read-SimState
    $sid = New-SimAccount -State $state -Name $Name
    if (-not $sid) { throw "The group or account $Name already exists." }
    $state['groups'][$Name.ToLowerInvariant()] = [ordered]@{ name = $Name; sid = $sid; description = $Description; members = @() }
    Save-SimState -State $state -Change "new group $Name"
    [pscustomobject]@{ Name = $Name; SID = New-SimSid $sid; Description = $Description }
}

function Remove-LocalGroup {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Name)
    $state = Read-SimState
    $key = $Name.ToLowerInvariant()
    if (-not $state['groups'].Contains($key)) { throw "Group $Name was not found." }
    $state['groups'].Remove($key)
    $state['accounts'].Remove($key)
    $state['accounts'].Remove("simpc\$key")
    Save-SimState -State $state -Change "remove group $Name"
}

function Get-LocalGroupMember {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Group)
    $state = Read-SimState
    $found = $state['groups'][$Group.ToLowerInvariant()]
    if (-not $found) { throw "Group $Group was not found." }
    foreach ($sid in @($found['members'])) {
        $user = Find-SimUser -State $state -Sid $sid
        [pscustomobject]@{ Name = if ($user) { "SIMPC\$($user['name'])" } else { $sid }; SID = New-SimSid $sid; ObjectClass = 'User'; PrincipalSource = 'Local' }
    }
}

function Resolve-SimMemberSid {
    param([hashtable]$State, $Member)
    if ($Member -is [string]) {
        if ($Member -match '^S-1-') { return $Member }
        $sid = $State['accounts'][$Member.ToLowerInvariant()]
        if (-not $sid) { throw "Principal $Member was not found." }
        return $sid
    }
    return Get-SimSidValue $Member
}

function Add-LocalGroupMember {
    # Stands for NetLocalGroupAddMembers: adding a member twice is an error (MemberExists).
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Group, [Parameter(Mandatory)]$Member)
    $state = Read-SimState
    $found = $state['groups'][$Group.ToLowerInvariant()]
    if (-not $found) { throw "Group $Group was not found." }
    foreach ($m in @($Member)) {
        $sid = Resolve-SimMemberSid -State $state -Member $m
        if (@($found['members']) -contains $sid) { throw "$sid is already a member of group $Group." }
        $found['members'] = @(@($found['members']) + $sid)
    }
    Save-SimState -State $state -Change "add member to $Group"
}

function Remove-LocalGroupMember {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Group, [Parameter(Mandatory)]$Member)
    $state = Read-SimState
    $found = $state['groups'][$Group.ToLowerInvariant()]
    if (-not $found) { throw "Group $Group was not found." }
    foreach ($m in @($Member)) {
        $sid = Resolve-SimMemberSid -State $state -Member $m
        if (@($found['members']) -notcontains $sid) { throw "$sid is not a member of group $Group." }
        $found['members'] = @(@($found['members']) | Where-Object { $_ -ne $sid })
    }
    Save-SimState -State $state -Change "remove member from $Group"
}

# ---------------------------------------------------------------------------------------------
# NetSecurity stand-ins. A rule is kept with its filters (address, port, security), the way
# the firewall API keeps a rule and its associated filter objects.

function ConvertTo-SimRule {
    param([hashtable]$Rule)
    [pscustomobject]@{
        PSTypeName  = 'CorralSim.NetFirewallRule'
        Name        = $Rule['Name']
        DisplayName = $Rule['DisplayName']
        Group       = $Rule['Group']
        Direction   = $Rule['Direction']
        Action      = $Rule['Action']
        Enabled     = $Rule['Enabled']
        Profile     = $Rule['Profile']
    }
}

function Get-NetFirewallRule {
    # -PolicyStore ActiveStore: the sim has no Group Policy store, so the active rules are the
    # local ones unless a profile sets AllowLocalFirewallRules = False (then local rules are
    # not in force, as on Windows).
    [CmdletBinding()]
    param([string]$Name, [string]$Group, [string]$PolicyStore = 'PersistentStore')
    $state = Read-SimState
    $rules = @($state['firewall']['rules'].Values)
    if ($PolicyStore -eq 'ActiveStore' -and @($state['firewall']['profiles'].Values | Where-Object { $_['AllowLocalFirewallRules'] -eq 'False' }).Count -gt 0) { $rules = @() }
    if ($Name) {
        $rule = $rules | Where-Object { $_['Name'] -eq $Name }
        if (-not $rule) { Write-SimNotFound -What "Firewall rule $Name" -ErrorId 'CmdletizationQuery_NotFound_Name,Get-NetFirewallRule'; return }
        return ConvertTo-SimRule $rule
    }
    foreach ($rule in $rules) { if (-not $Group -or $rule['Group'] -eq $Group) { ConvertTo-SimRule $rule } }
}

function Set-SimRuleFields {
    param([hashtable]$Rule, [hashtable]$Bound)
    foreach ($field in @('DisplayName', 'Group', 'Direction', 'Action', 'Enabled', 'Profile', 'LocalUser', 'Protocol')) {
        if ($Bound.ContainsKey($field)) { $Rule[$field] = [string]$Bound[$field] }
    }
    if ($Bound.ContainsKey('RemoteAddress')) { $Rule['RemoteAddress'] = @($Bound['RemoteAddress'] | ForEach-Object { [string]$_ }) }
    # RemotePort Any clears the port filter (as on Windows, where it then reads back as Any).
    if ($Bound.ContainsKey('RemotePort')) { $Rule['RemotePort'] = @($Bound['RemotePort'] | ForEach-Object { [string]$_ } | Where-Object { $_ -ne 'Any' }) }
    # Stands for the firewall's validation: a LocalUser SDDL must be a D: DACL of SIDs, and
    # ports need TCP or UDP.
    if ($Rule['LocalUser'] -and $Rule['LocalUser'] -notmatch '^D:(\(A;;CC;;;S-1-[0-9-]+\))+$') { throw "LocalUser '$($Rule['LocalUser'])' is not a valid SDDL." }
    if (@($Rule['RemotePort']).Count -gt 0 -and $Rule['Protocol'] -notin @('TCP', 'UDP')) { throw 'RemotePort needs Protocol TCP or UDP.' }
}

function New-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Name, [string]$DisplayName, [string]$Group, [string]$Direction = 'Inbound', [string]$Action = 'Allow',
        [string]$Enabled = 'True', [string]$Profile = 'Any', [string]$LocalUser = '', [string]$Protocol = 'Any', [string[]]$RemoteAddress = @('Any'), [string[]]$RemotePort = @())
    $state = Read-SimState
    if ($state['firewall']['rules'].Contains($Name)) { throw "A firewall rule named $Name already exists." }
    $rule = [ordered]@{ Name = $Name; Direction = $Direction; Action = $Action; Enabled = $Enabled; Profile = $Profile; Protocol = $Protocol; RemoteAddress = $RemoteAddress; RemotePort = $RemotePort; LocalUser = $LocalUser; Group = $Group; DisplayName = $DisplayName }
    $bound = @{} + $PSBoundParameters
    Set-SimRuleFields -Rule $rule -Bound $bound
    $state['firewall']['rules'][$Name] = $rule
    Save-SimState -State $state -Change "new firewall rule $Name"
    ConvertTo-SimRule $rule
}

function Set-NetFirewallRule {
    # Group is read-only on an existing rule (as on Windows: the grouping is set at creation).
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Name, [string]$Direction, [string]$Action, [string]$Enabled, [string]$Profile, [string]$LocalUser, [string]$Protocol,
        [string[]]$RemoteAddress, [string[]]$RemotePort)
    $state = Read-SimState
    $rule = $state['firewall']['rules'][$Name]
    if (-not $rule) { throw "Firewall rule $Name was not found." }
    $bound = @{} + $PSBoundParameters
    Set-SimRuleFields -Rule $rule -Bound $bound
    Save-SimState -State $state -Change "set firewall rule $Name"
}

function Remove-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][string]$Name)
    $state = Read-SimState
    if (-not $state['firewall']['rules'].Contains($Name)) { throw "Firewall rule $Name was not found." }
    $state['firewall']['rules'].Remove($Name)
    Save-SimState -State $state -Change "remove firewall rule $Name"
}

function Get-SimRuleRecord {
    param($Rule)
    $state = Read-SimState
    return $state['firewall']['rules'][[string]$Rule.Name]
}

function Get-NetFirewallSecurityFilter {
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)]$AssociatedNetFirewallRule)
    process { $r = Get-SimRuleRecord $AssociatedNetFirewallRule; [pscustomobject]@{ LocalUser = $r['LocalUser'] } }
}

function Get-NetFirewallAddressFilter {
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)]$AssociatedNetFirewallRule)
    process { $r = Get-SimRuleRecord $AssociatedNetFirewallRule; [pscustomobject]@{ RemoteAddress = @($r['RemoteAddress']) } }
}

function Get-NetFirewallPortFilter {
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)]$AssociatedNetFirewallRule)
    process { $r = Get-SimRuleRecord $AssociatedNetFirewallRule; [pscustomobject]@{ Protocol = $r['Protocol']; RemotePort = @($r['RemotePort']) } }
}

function Get-NetFirewallProfile {
    [CmdletBinding()]
    param([string]$PolicyStore = 'PersistentStore')
    $state = Read-SimState
    foreach ($name in $state['firewall']['profiles'].Keys) {
        $p = $state['firewall']['profiles'][$name]
        [pscustomobject]@{ Name = $name; Enabled = $p['Enabled']; DefaultOutboundAction = $p['DefaultOutboundAction']; AllowLocalFirewallRules = $p['AllowLocalFirewallRules'] }
    }
}

function Test-SimAddressInRange {
    param([System.Net.IPAddress]$Address, [string]$Entry)
    if ($Entry -eq 'Any') { return $true }
    $ends = @($Entry -split '-' | ForEach-Object { [System.Net.IPAddress]::Parse($_.Trim()) })
    if ($ends.Count -eq 1) { $ends = @($ends[0], $ends[0]) }
    if ($ends[0].AddressFamily -ne $Address.AddressFamily) { return $false }
    # Big-endian address bytes as an unsigned number (a trailing 0 keeps BigInteger positive).
    $number = { param($ip) $b = $ip.GetAddressBytes(); [array]::Reverse($b); [System.Numerics.BigInteger]::new([byte[]]($b + [byte]0)) }
    $value = & $number $Address
    return ($value -ge (& $number $ends[0])) -and ($value -le (& $number $ends[1]))
}

function Test-SimPortInRange {
    param([int]$Port, [string]$Entry)
    $ends = @($Entry -split '-' | ForEach-Object { [int]$_ })
    if ($ends.Count -eq 1) { $ends = @($ends[0], $ends[0]) }
    return $Port -ge $ends[0] -and $Port -le $ends[1]
}

function Test-SimFirewallOutbound {
    <#
    .SYNOPSIS
    Whether the simulated firewall lets a process running as a SID send to an address and port.
    .DESCRIPTION
    A model of Windows Firewall's outbound decision for the rules Corral writes: an enabled
    outbound block rule that matches (its LocalUser SDDL grants the SID, or it has none; its
    protocol is Any or the one asked; the address is in one of its RemoteAddress ranges; the port
    is in one of its RemotePort ranges, or it has no port filter) blocks, whatever allow rules
    say — on Windows a block rule beats an allow rule. Nothing matching: allowed (the profiles'
    default outbound action, Allow). Returns Allowed and the blocking rule's Name.
    #>
    param(
        [Parameter(Mandatory)][string]$Sid,
        [Parameter(Mandatory)][ValidateSet('TCP', 'UDP', 'ICMPv4')][string]$Protocol,
        [Parameter(Mandatory)][string]$RemoteAddress,
        [int]$RemotePort = 0
    )
    $state = Read-SimState
    $address = [System.Net.IPAddress]::Parse($RemoteAddress)
    foreach ($rule in @($state['firewall']['rules'].Values)) {
        if ($rule['Direction'] -ne 'Outbound' -or $rule['Enabled'] -ne 'True' -or $rule['Action'] -ne 'Block') { continue }
        if ($rule['LocalUser'] -and $rule['LocalUser'] -notmatch [regex]::Escape("(A;;CC;;;$Sid)")) { continue }
        if ($rule['Protocol'] -ne 'Any' -and $rule['Protocol'] -ne $Protocol) { continue }
        if (-not @(@($rule['RemoteAddress']) | Where-Object { Test-SimAddressInRange -Address $address -Entry $_ }).Count) { continue }
        $ports = @(@($rule['RemotePort']) | Where-Object { $_ })
        if ($ports.Count -gt 0 -and -not @($ports | Where-Object { Test-SimPortInRange -Port $RemotePort -Entry $_ }).Count) { continue }
        return [pscustomobject]@{ Allowed = $false; Rule = $rule['Name'] }
    }
    return [pscustomobject]@{ Allowed = $true; Rule = $null }
}

# ---------------------------------------------------------------------------------------------
# The module's seams.

function Get-SimRegistryKey {
    # Stands for the registry views of 64-bit Windows (WOW64 registry redirection): the 64-bit
    # view sees HKLM\SOFTWARE as it is; the 32-bit view — Registry32, or Default in a 32-bit
    # process ($env:CORRAL_SIM_WOW64 = '1') — sees HKLM\SOFTWARE\WOW6432Node in its place.
    # Key names are case-insensitive: the store keeps them lower-cased.
    param([string]$Key, [string]$View)
    $k = $Key.ToLowerInvariant()
    $thirtyTwo = $View -eq 'Registry32' -or ($View -eq 'Default' -and $env:CORRAL_SIM_WOW64 -eq '1')
    if ($thirtyTwo -and $k.StartsWith('hklm:\software\') -and -not $k.StartsWith('hklm:\software\wow6432node\')) {
        $k = 'hklm:\software\wow6432node\' + $k.Substring('hklm:\software\'.Length)
    }
    return $k
}

function Get-SimAclKey {
    param([string]$Path)
    return [System.IO.Path]::GetFullPath($Path).TrimEnd('/')
}

function Get-SimAclRecord {
    param([hashtable]$State, [string]$Path)
    $key = Get-SimAclKey $Path
    if (-not $State['acls'].Contains($key)) {
        # A path Corral never touched: owned by whoever the test says (Set-SimOwner), default
        # Administrators, with no explicit ACEs.
        $State['acls'][$key] = [ordered]@{ owner = 'S-1-5-32-544'; protected = $false; aces = @() }
    }
    return $State['acls'][$key]
}

function Get-SimInheritedAces {
    # Stands for NTFS inheritance: an unprotected child carries, as inherited ACEs, its
    # ancestors' ACEs whose flags reach it (ObjectInherit for files, ContainerInherit for
    # folders; NoPropagateInherit stops after one level; InheritOnly on the ancestor itself).
    param([hashtable]$State, [string]$Path)
    $isFolder = Test-Path -LiteralPath $Path -PathType Container
    $inherited = [System.Collections.Generic.List[object]]::new()
    $current = Get-SimAclKey $Path
    $depth = 0
    while ($true) {
        $record = $State['acls'][$current]
        if ($depth -gt 0 -and $record) {
            foreach ($ace in @($record['aces'])) {
                $flags = [int]$ace['inheritance']
                $reaches = if ($isFolder) { ($flags -band 1) -ne 0 } else { ($flags -band 2) -ne 0 }
                $noPropagate = ([int]$ace['propagation'] -band 1) -ne 0
                if ($reaches -and (-not $noPropagate -or $depth -eq 1)) {
                    $inherited.Add([ordered]@{ sid = $ace['sid']; rights = $ace['rights']; type = $ace['type']; inheritance = if ($isFolder) { $flags } else { 0 }; propagation = 0; inherited = $true })
                }
            }
        }
        if ($record -and $record['protected'] -and $depth -eq 0) { break }
        if ($depth -gt 0 -and $record -and $record['protected']) { break }
        $parent = [System.IO.Path]::GetDirectoryName($current)
        if (-not $parent -or $parent -eq $current) { break }
        $current = $parent
        $depth++
    }
    return $inherited.ToArray()
}

$script:SeamImplementations = @{
    'Test-CorralElevation'        = {
        # Stands for WindowsPrincipal.IsInRole(Administrators): true for SYSTEM and for an
        # elevated administrator's full token, false for a filtered (UAC) token.
        return ($env:CORRAL_SIM_ELEVATED -eq '1')
    }
    'Start-CorralElevatedProcess' = {
        # Stands for ShellExecute with the runas verb, the user consenting to the UAC prompt:
        # the program runs with the administrator's full token ($env:CORRAL_SIM_ELEVATED = '1')
        # as the same user, and the caller waits for its exit code. The program is pwsh running
        # Invoke-SimElevated.ps1 (which loads this simulation) with the argument line as given,
        # parsed by .NET's CommandLineToArgvW rules, where Windows runs powershell.exe (5.1).
        # $env:CORRAL_SIM_UAC = 'cancel' stands for the user answering No: ShellExecuteEx fails
        # with ERROR_CANCELLED (1223), which .NET throws as a Win32Exception, and nothing runs.
        # Not simulated: the prompt itself, and that an elevated process gets a fresh
        # environment block rather than the caller's.
        param([string]$FilePath, [AllowEmptyString()][string]$ArgumentList)
        if ($env:CORRAL_SIM_UAC -eq 'cancel') { throw [System.ComponentModel.Win32Exception]::new(1223) }
        if ([System.IO.Path]::GetFileName($FilePath.Replace('\', '/')) -ne 'powershell.exe') { throw "the simulated UAC starts only powershell.exe, not $FilePath" }
        $pwsh = @(Get-Command -Name pwsh -CommandType Application -ErrorAction Ignore)[0].Source
        if (-not $pwsh) { $pwsh = Join-Path $PSHOME 'pwsh' }
        $info = New-Object System.Diagnostics.ProcessStartInfo
        $info.FileName = $pwsh
        $launcher = Join-Path $script:SimRoot 'Invoke-SimElevated.ps1'
        $info.Arguments = "-NoProfile -NonInteractive -File `"$launcher`" $ArgumentList"
        $info.UseShellExecute = $false
        # Its own output, not the caller's (the caller may be a node-powershell session, whose
        # stdout is its protocol); kept next to the state file for a failing test to show.
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.Environment['CORRAL_SIM_ELEVATED'] = '1'
        $process = [System.Diagnostics.Process]::Start($info)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        $process.WaitForExit()
        [System.IO.File]::AppendAllText("$(Get-SimPath).elevated.log", "exit $($process.ExitCode)`n$($stdout.Result)$($stderr.Result)`n")
        return $process.ExitCode
    }
    'ConvertTo-CorralSid'         = {
        # Stands for NTAccount.Translate: case-insensitive names, DOMAIN\name or a bare name
        # (looked up on the machine first); an unknown name throws IdentityNotMappedException.
        param([string]$Name)
        $state = Read-SimState
        $sid = $state['accounts'][$Name.ToLowerInvariant()]
        if (-not $sid) { throw [System.InvalidOperationException]::new("Some or all identity references could not be translated ($Name).") }
        return $sid
    }
    'Get-CorralRegistryValue'     = {
        # Stands for a registry value read: key names are case-insensitive; a missing key or
        # value reads as nothing.
        param([string]$Key, [string]$Name, [string]$View = 'Registry64')
        $state = Read-SimState
        $k = $state['registry'][(Get-SimRegistryKey -Key $Key -View $View)]
        if (-not $k -or -not $k.Contains($Name)) { return $null }
        return $k[$Name]['value']
    }
    'Test-CorralRegistryKey'      = {
        param([string]$Key, [string]$View = 'Registry64')
        $state = Read-SimState
        return $state['registry'].Contains((Get-SimRegistryKey -Key $Key -View $View))
    }
    'Set-CorralRegistryValue'     = {
        # Stands for New-Item -Force + New-ItemProperty -Force: the key is created if missing,
        # the value overwritten. DWord values are 32-bit integers.
        # Each value records the view it was written in (Registry64 unless asked otherwise, as
        # the real seam), and a 32-bit view's HKLM\SOFTWARE write lands under WOW6432Node.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Key, [string]$Name, [object]$Value, [string]$Kind = 'String', [string]$View = 'Registry64')
        if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Set registry value')) { return }
        $state = Read-SimState
        $k = Get-SimRegistryKey -Key $Key -View $View
        if (-not $state['registry'].Contains($k)) { $state['registry'][$k] = [ordered]@{} }
        $state['registry'][$k][$Name] = [ordered]@{ value = if ($Kind -eq 'DWord') { [int]$Value } else { [string]$Value }; kind = $Kind; view = $View }
        Save-SimState -State $state -Change "registry $Key\$Name"
    }
    'Remove-CorralRegistryValue'  = {
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Key, [string]$Name, [string]$View = 'Registry64')
        $state = Read-SimState
        $k = $state['registry'][(Get-SimRegistryKey -Key $Key -View $View)]
        if (-not $k -or -not $k.Contains($Name)) { return }
        if (-not $PSCmdlet.ShouldProcess("$Key\$Name", 'Remove registry value')) { return }
        $k.Remove($Name)
        Save-SimState -State $state -Change "remove registry $Key\$Name"
    }
    'Remove-CorralRegistryKey'    = {
        # Stands for Remove-Item -Recurse on a key: the key and its subkeys go. -OnlyIfEmpty
        # stands for the key's ValueCount and SubKeyCount both 0 (else nothing is removed).
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Key, [switch]$OnlyIfEmpty, [string]$View = 'Registry64')
        $state = Read-SimState
        $prefix = Get-SimRegistryKey -Key $Key -View $View
        $gone = @($state['registry'].Keys | Where-Object { $_ -eq $prefix -or $_.StartsWith("$prefix\") })
        if ($gone.Count -eq 0) { return }
        if ($OnlyIfEmpty -and ($gone.Count -gt 1 -or $state['registry'][$prefix].Count -gt 0)) { return }
        if (-not $PSCmdlet.ShouldProcess($Key, 'Remove registry key')) { return }
        foreach ($g in $gone) { $state['registry'].Remove($g) }
        Save-SimState -State $state -Change "remove registry key $Key"
    }
    'Test-CorralWow64Host'        = {
        # Stands for [Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess:
        # a 64-bit machine, and this process 32-bit when the test says so (CORRAL_SIM_WOW64 = '1',
        # e.g. Intune's 32-bit management extension starting install.ps1).
        return $env:CORRAL_SIM_WOW64 -eq '1'
    }
    'Start-CorralProcess'         = {
        # Stands for starting a program in this console and waiting for its exit code. The only
        # program this machine has for it is the 64-bit Windows PowerShell reached through
        # sysnative (%windir%\sysnative\WindowsPowerShell\v1.0\powershell.exe): it runs as a
        # 64-bit process of the simulation (CORRAL_SIM_WOW64 = '0'), as the same account,
        # loading the simulation and the package's module the way Invoke-SimScript.ps1 does,
        # then its -EncodedCommand. Its start is logged (CORRAL_SIM_STATE + '.started.log'),
        # one line of the arguments' count and the program path.
        param([string]$FilePath, [string[]]$ArgumentList)
        $expected = [System.IO.Path]::Combine($env:windir, 'sysnative', 'WindowsPowerShell', 'v1.0', 'powershell.exe')
        if ($FilePath -ne $expected) { throw [System.ComponentModel.Win32Exception]::new(2) }
        $at = [array]::IndexOf($ArgumentList, '-EncodedCommand')
        if ($at -lt 0 -or $at + 1 -ge $ArgumentList.Count) { throw 'the simulated powershell.exe runs only -EncodedCommand' }
        Add-Content -LiteralPath "$env:CORRAL_SIM_STATE.started.log" -Value "$($ArgumentList.Count) $FilePath"
        $package = [System.IO.Path]::GetFullPath((Join-Path (Get-Module -Name Corral | Select-Object -First 1).ModuleBase '../..'))
        $pwsh = @(Get-Command -Name pwsh -CommandType Application -ErrorAction Ignore)[0].Source
        $saved = $env:CORRAL_SIM_WOW64
        $env:CORRAL_SIM_WOW64 = '0'
        try {
            & $pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Invoke-SimScript.ps1') -Script (Join-Path $package 'install.ps1') -EncodedCommand $ArgumentList[$at + 1] | Out-Host
            return $LASTEXITCODE
        } finally { $env:CORRAL_SIM_WOW64 = $saved }
    }
    'Get-CorralIdentityProcess'   = {
        # Stands for Get-Process -IncludeUserName: the machine's processes are the sim state's
        # `processes` list ({ pid; user }), empty unless a test starts one (a session still running).
        param([string]$Name)
        $state = Read-SimState
        if (-not $state.Contains('processes')) { return }
        foreach ($p in @($state['processes'])) { if ($p -and [string]::Equals([string]$p['user'], $Name, [StringComparison]::OrdinalIgnoreCase)) { [int]$p['pid'] } }
    }
    'Protect-CorralBytes'         = {
        # Stands for CryptProtectData (LocalMachine): an opaque blob that only this machine
        # turns back into the bytes, given the same entropy. The "machine key" is the store file.
        param([byte[]]$Bytes, [byte[]]$Entropy)
        $state = Read-SimState
        $id = [guid]::NewGuid().ToString('n')
        $state['dpapi'][$id] = [ordered]@{ data = [Convert]::ToBase64String($Bytes); entropy = [Convert]::ToBase64String($Entropy) }
        Save-SimState -State $state -Change 'dpapi protect'
        return , [System.Text.Encoding]::ASCII.GetBytes("SIMDPAPI:$id")
    }
    'Add-CorralNetUser'           = {
        # Stands for NetUserAdd level 1: 0 on success, 2224 (NERR_UserExists) when a user of
        # that name exists, 1379 (ERROR_ALIAS_EXISTS) when a group does; the flags make the
        # password never expire and unchangeable by the user; the account is enabled.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Name, [securestring]$Password, [string]$Description)
        $state = Read-SimState
        $key = $Name.ToLowerInvariant()
        if ($state['users'].Contains($key)) { return 2224 }
        if ($state['groups'].Contains($key)) { return 1379 }
        $sid = New-SimAccount -State $state -Name $Name
        $state['users'][$key] = [ordered]@{ name = $Name; sid = $sid; enabled = $true; description = $Description; passwordNeverExpires = $true; userMayChangePassword = $false; passwordVersion = 1 }
        Save-SimState -State $state -Change "new user $Name"
        return 0
    }
    'New-CorralUserProfile'       = {
        # Stands for CreateProfile: a folder under the profiles directory owned by the account,
        # and its ProfileList key with ProfileImagePath; returns the folder.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Sid, [string]$Name)
        if (-not $PSCmdlet.ShouldProcess($Name, 'Create user profile')) { return $null }
        $state = Read-SimState
        $root = Join-Path ([System.IO.Path]::GetDirectoryName((Get-SimPath))) 'Users'
        $folder = Join-Path $root $Name
        $null = New-Item -ItemType Directory -Path $folder -Force
        $state['registry']["HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid".ToLowerInvariant()] = [ordered]@{ ProfileImagePath = [ordered]@{ value = $folder; kind = 'String' } }
        $state['profiles'][$Sid] = $folder
        $state['acls'][(Get-SimAclKey $folder)] = [ordered]@{ owner = $Sid; protected = $true; aces = @() }
        Save-SimState -State $state -Change "profile $Name"
        return $folder
    }
    'Remove-CorralUserProfile'    = {
        # Stands for deleting a Win32_UserProfile instance: the folder and the ProfileList key go.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Sid)
        $state = Read-SimState
        if (-not $state['profiles'].Contains($Sid)) { return }
        $folder = $state['profiles'][$Sid]
        if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
        $state['profiles'].Remove($Sid)
        $state['registry'].Remove("HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid".ToLowerInvariant())
        $state['acls'].Remove((Get-SimAclKey $folder))
        Save-SimState -State $state -Change "remove profile $Sid"
    }
    'Get-CorralFileAcl'           = {
        # Stands for GetSecurityInfo(OWNER | DACL): explicit ACEs first, then the inherited
        # ones (Get-SimInheritedAces). A missing path throws, like Get-Item.
        param([string]$Path)
        $null = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
        $state = Read-SimState
        $record = Get-SimAclRecord -State $state -Path $Path
        $explicit = @(foreach ($ace in @($record['aces'])) { $copy = [ordered]@{} + $ace; $copy['inherited'] = $false; $copy })
        $inherited = if ($record['protected']) { @() } else { @(Get-SimInheritedAces -State $state -Path $Path) }
        return @{ Owner = $record['owner']; Protected = [bool]$record['protected']; Aces = @($explicit + $inherited) }
    }
    'Add-CorralFileAccessRule'    = {
        # Stands for FileSystemSecurity.AddAccessRule + SetAccessControl: the bits merge into an
        # explicit ACE with the same SID, type and flags, or a new ACE is added.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Path, [string]$Sid, [int]$Rights, [string]$Type, [int]$Inheritance = 0, [int]$Propagation = 0)
        if (-not $PSCmdlet.ShouldProcess($Path, "Add $Type ACE for $Sid")) { return }
        $null = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
        $state = Read-SimState
        $record = Get-SimAclRecord -State $state -Path $Path
        $match = @($record['aces']) | Where-Object { $_['sid'] -eq $Sid -and $_['type'] -eq $Type -and [int]$_['inheritance'] -eq $Inheritance -and [int]$_['propagation'] -eq $Propagation } | Select-Object -First 1
        if ($match) { $match['rights'] = [int]$match['rights'] -bor $Rights }
        else { $record['aces'] = @(@($record['aces']) + [ordered]@{ sid = $Sid; rights = $Rights; type = $Type; inheritance = $Inheritance; propagation = $Propagation }) }
        Save-SimState -State $state -Change "ace + $Path $Sid $Type $Rights"
    }
    'Remove-CorralFileAccessRule' = {
        # Stands for FileSystemSecurity.RemoveAccessRule + SetAccessControl: the bits are taken
        # from the explicit ACE with the same SID, type and flags; an ACE with no bits left goes.
        [CmdletBinding(SupportsShouldProcess)]
        # $env:CORRAL_SIM_FAIL_ACE_REMOVAL = a path stands for SetAccessControl failing there
        # (a disk error, a handle held open): UnauthorizedAccessException, nothing changed.
        param([string]$Path, [string]$Sid, [int]$Rights, [string]$Type, [int]$Inheritance = 0, [int]$Propagation = 0)
        if (-not $PSCmdlet.ShouldProcess($Path, "Remove $Type ACE for $Sid")) { return }
        if ($env:CORRAL_SIM_FAIL_ACE_REMOVAL -and (Get-SimAclKey $Path) -eq (Get-SimAclKey $env:CORRAL_SIM_FAIL_ACE_REMOVAL)) {
            throw [System.UnauthorizedAccessException]::new("Attempted to perform an unauthorized operation. (simulated failure on $Path)")
        }
        $state = Read-SimState
        $record = Get-SimAclRecord -State $state -Path $Path
        $kept = foreach ($ace in @($record['aces'])) {
            if ($ace['sid'] -eq $Sid -and $ace['type'] -eq $Type -and [int]$ace['inheritance'] -eq $Inheritance -and [int]$ace['propagation'] -eq $Propagation) {
                $ace['rights'] = [int]$ace['rights'] -band (-bnot $Rights)
                if ($ace['rights'] -eq 0) { continue }
            }
            $ace
        }
        $record['aces'] = @($kept)
        Save-SimState -State $state -Change "ace - $Path $Sid $Type $Rights"
    }
    'Set-CorralFileAcl'           = {
        # Stands for a protected DACL written with an owner: inheritance off, nothing inherited
        # kept, exactly these ACEs.
        [CmdletBinding(SupportsShouldProcess)]
        param([string]$Path, [string]$Owner, [System.Collections.IDictionary[]]$Aces)
        if (-not $PSCmdlet.ShouldProcess($Path, 'Write protected ACL')) { return }
        $null = Get-Item -LiteralPath $Path -Force -ErrorAction Stop
        $state = Read-SimState
        $state['acls'][(Get-SimAclKey $Path)] = [ordered]@{ owner = $Owner; protected = $true; aces = @(foreach ($a in $Aces) { [ordered]@{ sid = $a['sid']; rights = [int]$a['rights']; type = $a['type']; inheritance = [int]$a['inheritance']; propagation = [int]$a['propagation'] } }) }
        Save-SimState -State $state -Change "acl = $Path"
    }
}

function Enable-CorralWindowsSim {
    <#
    .SYNOPSIS
    Replaces the Windows-only seams inside the loaded Corral module with the simulation.
    .DESCRIPTION
    Works like Pester's Mock: each seam function is redefined in the Corral module's own scope
    (the scriptblocks stay bound to this module, so they reach the sim's state). Re-importing
    Corral with -Force would undo it; elevated-host.ps1 and install.ps1 import without -Force.
    #>
    param([Parameter(Mandatory)][System.Management.Automation.PSModuleInfo]$Module)
    $implementations = @{} + $script:SeamImplementations
    # An exported seam (Test-CorralElevation) must stay a command of Corral itself, or
    # Invoke-CorralOperation (Get-Command -Module Corral) would not find it: its stand-in is bound
    # to Corral's scope, so it may use nothing of this module (it reads only the environment).
    foreach ($name in @($implementations.Keys)) {
        if ($Module.ExportedFunctions.ContainsKey($name)) { $implementations[$name] = $Module.NewBoundScriptBlock($implementations[$name]) }
    }
    & $Module {
        param($table)
        foreach ($name in $table.Keys) { Set-Item -LiteralPath "function:script:$name" -Value $table[$name] }
    } $implementations
}

Export-ModuleMember -Function @(
    'Initialize-CorralWindowsSim', 'Add-SimRealUser', 'Add-SimLocalUser', 'Set-SimOwner', 'Set-SimFirewallProfile', 'Get-CorralWindowsSimState', 'Enable-CorralWindowsSim', 'New-SimSid', 'Test-SimFirewallOutbound',
    'Get-LocalUser', 'Set-LocalUser', 'Enable-LocalUser', 'Disable-LocalUser', 'Remove-LocalUser',
    'Get-LocalGroup', 'New-LocalGroup', 'Remove-LocalGroup', 'Get-LocalGroupMember', 'Add-LocalGroupMember', 'Remove-LocalGroupMember',
    'Get-NetFirewallRule', 'New-NetFirewallRule', 'Set-NetFirewallRule', 'Remove-NetFirewallRule',
    'Get-NetFirewallSecurityFilter', 'Get-NetFirewallAddressFilter', 'Get-NetFirewallPortFilter', 'Get-NetFirewallProfile'
)
