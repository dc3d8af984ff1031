function Invoke-CorralOperation {
    <#
    .SYNOPSIS
    The orchestrator's one entry point: runs one allowed module function with arguments passed as base64 JSON, and writes one JSON line.

    .DESCRIPTION
    Contract with orchestrator/provision/windows (node-powershell): the orchestrator sends only
      Invoke-CorralOperation -Operation '<Verb-CorralNoun>' -ArgumentsBase64 '<base64>'
    Threat model: paths, user names and policy values come from users, config files and
    repositories; they never become PowerShell source. The operation must be one of a fixed
    allowlist of this module's functions; the arguments are base64 of a UTF-8 JSON object that
    is decoded strictly (invalid UTF-8 is refused), converted to a hashtable without evaluating
    anything (Windows PowerShell 5.1 has no ConvertFrom-Json -AsHashtable) and splatted, so
    every value reaches the function as a plain .NET string, number, boolean or array.
    Parameter names are checked against the function's own parameters first.
    WhatIf and Confirm travel in the JSON ("WhatIf": true); Confirm defaults to $false because
    nobody can answer a prompt on the orchestrator's pipe (it asked the user before elevating).
    Output: exactly one line, {"ok":true,"result":…,"warnings":[…]} or
    {"ok":false,"error":{"errorId":"Corral…","message":"…","category":"…"}}; every non-ASCII
    character is written as a \uXXXX escape so the console code page cannot mangle it. An
    error that is not one of the module's ErrorIds is reported as CorralStepFailed.

    .PARAMETER Operation
    The function to run, e.g. Get-CorralState.

    .PARAMETER ArgumentsBase64
    Base64 (standard alphabet) of a UTF-8 JSON object of named parameters; empty or e30= for none.

    .EXAMPLE
    Invoke-CorralOperation -Operation 'Get-CorralIdentityName' -ArgumentsBase64 'eyJVc2VyIjoiYWxpY2UiLCJOZXR3b3JrIjoib2ZmbGluZSJ9'

    {"ok":true,"result":"crl-off-alice","warnings":[]}

    .OUTPUTS
    System.String (one line of JSON)
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Operation,
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$ArgumentsBase64
    )
    $allowed = @(
        'Assert-CorralElevation', 'Test-CorralElevation', 'Get-CorralState', 'Get-CorralIdentityName',
        'Install-CorralGroup', 'Install-CorralUserGroup', 'New-CorralIdentity', 'Set-CorralIdentity', 'Remove-CorralIdentity',
        'Update-CorralCredential',
        'New-CorralFirewallRule', 'Remove-CorralFirewallRule', 'Test-CorralFirewallEffective',
        'Grant-CorralWorkspace', 'Revoke-CorralWorkspace', 'Grant-CorralTraverse', 'Revoke-CorralTraverse',
        'Install-CorralRunner', 'Install-Corral', 'Uninstall-Corral'
    )
    $knownIds = @('CorralNotElevated', 'CorralToolMissing', 'CorralConfigInvalid', 'CorralWorkspaceInvalid',
        'CorralWorkspaceNotOwned', 'CorralFirewallIneffective', 'CorralUserExists', 'CorralNotProvisioned',
        'CorralStepFailed', 'CorralStateCorrupt', 'CorralOperationUnknown', 'CorralArgumentsInvalid', 'CorralWorkspaceInUse')
    $emit = {
        param([System.Collections.IDictionary]$document)
        $json = ConvertTo-Json -InputObject $document -Depth 30 -Compress
        # ASCII-only output: escape every UTF-16 code unit above 0x7E (valid JSON, surrogates included).
        $builder = [System.Text.StringBuilder]::new($json.Length)
        foreach ($c in $json.ToCharArray()) {
            if ([int]$c -gt 0x7E) { $null = $builder.AppendFormat('\u{0:x4}', [int]$c) } else { $null = $builder.Append($c) }
        }
        $builder.ToString()
    }
    $fail = {
        param([string]$errorId, [string]$message, [string]$category)
        & $emit ([ordered]@{ ok = $false; error = [ordered]@{ errorId = $errorId; message = $message; category = $category } })
    }

    if ($allowed -cnotcontains $Operation) {
        return (& $fail 'CorralOperationUnknown' "Not an operation of the Corral module: '$Operation'." 'InvalidArgument')
    }
    $parameters = @{}
    try {
        if ($ArgumentsBase64 -cnotmatch '^[A-Za-z0-9+/]*={0,2}$') { throw 'the arguments are not base64 (standard alphabet)' }
        if ($ArgumentsBase64.Length -gt 0) {
            $text = [System.Text.UTF8Encoding]::new($false, $true).GetString([Convert]::FromBase64String($ArgumentsBase64))
            $table = ConvertFrom-CorralJson -Json $text
            if ($table -isnot [System.Collections.IDictionary]) { throw 'the arguments are not a JSON object' }
            foreach ($key in $table.Keys) { $parameters[[string]$key] = $table[$key] }
        }
    } catch {
        return (& $fail 'CorralArgumentsInvalid' "Cannot decode the arguments of ${Operation}: $($_.Exception.Message)" 'InvalidArgument')
    }
    $command = Get-Command -Name $Operation -Module $MyInvocation.MyCommand.Module.Name -CommandType Function -ErrorAction SilentlyContinue
    if (-not $command) {
        return (& $fail 'CorralOperationUnknown' "The Corral module does not define '$Operation'." 'InvalidArgument')
    }
    foreach ($name in @($parameters.Keys)) {
        if (-not $command.Parameters.ContainsKey($name)) {
            return (& $fail 'CorralArgumentsInvalid' "$Operation has no parameter -$name." 'InvalidArgument')
        }
    }
    if ($command.Parameters.ContainsKey('Confirm') -and -not $parameters.ContainsKey('Confirm')) { $parameters['Confirm'] = $false }
    if ($WhatIfPreference -and $command.Parameters.ContainsKey('WhatIf') -and -not $parameters.ContainsKey('WhatIf')) { $parameters['WhatIf'] = $true }

    $warnings = [System.Collections.Generic.List[string]]::new()
    $caught = $null
    try {
        # By name, resolved in this module's scope: $Operation is one of the fixed names above
        # (so Pester's mocks, which live in the module scope, intercept the call too).
        $output = @(& $Operation @parameters -ErrorAction Stop -WarningVariable caught -WarningAction SilentlyContinue)
        foreach ($w in @($caught)) { if ($w) { $warnings.Add("$w") } }
        $result = if ($output.Count -eq 0) { $null } elseif ($output.Count -eq 1) { $output[0] } else { $output }
        return (& $emit ([ordered]@{ ok = $true; result = $result; warnings = $warnings.ToArray() }))
    } catch {
        $record = $_
        $id = "$($record.FullyQualifiedErrorId)".Split(',')[0]
        $message = $record.Exception.Message
        if ($record.Exception -is [System.Management.Automation.ParameterBindingException]) {
            return (& $fail 'CorralArgumentsInvalid' "Arguments of ${Operation} rejected: $message" "$($record.CategoryInfo.Category)")
        }
        if ($knownIds -cnotcontains $id) {
            $message = "$Operation failed ($id): $message"
            $id = 'CorralStepFailed'
        }
        return (& $fail $id $message "$($record.CategoryInfo.Category)")
    }
}
