function ConvertTo-CorralHashtable {
    <#
    .SYNOPSIS
    Converts what ConvertFrom-Json returns into hashtables and arrays, recursively.

    .DESCRIPTION
    Windows PowerShell 5.1's ConvertFrom-Json has no -AsHashtable. Objects become ordered
    hashtables (keys as written), arrays become object[] (a one-element array stays an array),
    scalars stay as they are. Strings are never evaluated: values are data.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [AllowNull()]
        [object]$InputObject
    )
    if ($null -eq $InputObject) { return $null }
    if ($InputObject -is [System.Management.Automation.PSCustomObject]) {
        $table = [ordered]@{}
        foreach ($property in $InputObject.PSObject.Properties) {
            $table[$property.Name] = ConvertTo-CorralHashtable -InputObject $property.Value
        }
        return $table
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        $table = [ordered]@{}
        foreach ($key in $InputObject.Keys) {
            $table[$key] = ConvertTo-CorralHashtable -InputObject $InputObject[$key]
        }
        return $table
    }
    if ($InputObject -is [System.Collections.IList]) {
        $list = [System.Collections.Generic.List[object]]::new()
        foreach ($item in $InputObject) { $list.Add((ConvertTo-CorralHashtable -InputObject $item)) }
        # The comma keeps a one-element (or empty) array from being unrolled by the pipeline.
        return , $list.ToArray()
    }
    return $InputObject
}
