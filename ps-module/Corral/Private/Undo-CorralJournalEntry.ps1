function Undo-CorralJournalEntry {
    <#
    .SYNOPSIS
    Reverses one journaled change and appends its 'undone' line.

    .DESCRIPTION
    Every undo tolerates the thing being absent already (a change whose 'after' line is
    missing may never have happened). Errors propagate: the caller decides whether to go on.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)]
        [System.Collections.IDictionary]$Entry
    )
    $undo = $Entry['undo']
    $description = "$($Entry['kind']) $(ConvertTo-Json -InputObject $undo -Compress -Depth 5)"
    if (-not $PSCmdlet.ShouldProcess($description, 'Undo')) { return }
    switch ($Entry['kind']) {
        'group' {
            if (Get-LocalGroup -Name $undo['name'] -ErrorAction SilentlyContinue) { Remove-LocalGroup -Name $undo['name'] -ErrorAction Stop }
        }
        'user' {
            $existing = Get-LocalUser -Name $undo['name'] -ErrorAction SilentlyContinue
            # Only the account this installation created: same SID when it was recorded.
            if ($existing -and (-not $undo['sid'] -or $existing.SID.Value -eq $undo['sid'])) {
                Remove-LocalUser -SID $existing.SID -ErrorAction Stop
            }
        }
        'hidden' {
            $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
            Remove-CorralRegistryValue -Key $key -Name $undo['name'] -Confirm:$false
            # The key too when this change created it, unless something else is in it by now.
            if ($undo['createdKey']) { Remove-CorralRegistryKey -Key $key -OnlyIfEmpty -Confirm:$false }
        }
        'profile' {
            Remove-CorralUserProfile -Sid $undo['sid'] -Confirm:$false
        }
        'credential' {
            if (Test-Path -LiteralPath $undo['path']) { Remove-Item -LiteralPath $undo['path'] -Force -ErrorAction Stop }
        }
        'firewallRule' {
            if (Get-NetFirewallRule -Name $undo['name'] -ErrorAction SilentlyContinue) { Remove-NetFirewallRule -Name $undo['name'] -ErrorAction Stop }
        }
        'ace' {
            Remove-CorralAce -Undo $undo -WhatIf:$false
        }
        'directory' {
            if (Test-Path -LiteralPath $undo['path']) { Remove-Item -LiteralPath $undo['path'] -Recurse -Force -ErrorAction Stop }
        }
        default {
            $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStateCorrupt' -Category InvalidData `
                -Message "Journal entry $($Entry['id']) has an unknown kind '$($Entry['kind'])'."))
        }
    }
    $null = Add-CorralJournalEntry -Phase undone -Id $Entry['id'] -Kind $Entry['kind'] -Scope $Entry['scope'] -WhatIf:$false
}
