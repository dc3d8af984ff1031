function Get-CorralPortComplement {
    <#
    .SYNOPSIS
    The port ranges of 1-65535 that are not in a list of open ports, as firewall RemotePort strings (pure).

    .DESCRIPTION
    Windows Firewall has no "all ports but these" and a block rule beats an allow rule, so a port
    is opened to an identity whose traffic is otherwise blocked by blocking every other port:
    'open 80 and 5432' is a block over '1-79', '81-5431', '5433-65535'. Ports outside 1-65535
    are ignored, duplicates and order do not matter. Every port open is an empty list: the
    caller must not turn that into a rule without a port filter, which would block every port.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
        [int[]]$Open = @()
    )
    $ports = @($Open | Where-Object { $_ -ge 1 -and $_ -le 65535 } | Sort-Object -Unique)
    $closed = [System.Collections.Generic.List[string]]::new()
    $next = 1
    foreach ($port in $ports) {
        if ($port -gt $next) { $closed.Add($(if ($port - 1 -eq $next) { "$next" } else { "$next-$($port - 1)" })) }
        $next = $port + 1
    }
    if ($next -le 65535) { $closed.Add($(if ($next -eq 65535) { '65535' } else { "$next-65535" })) }
    return , $closed.ToArray()
}
