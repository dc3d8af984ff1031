function ConvertFrom-CorralJson {
    <#
    .SYNOPSIS
    Parses JSON text into ordered hashtables, arrays and scalars, leaving every string exactly as written.

    .DESCRIPTION
    PowerShell 7's ConvertFrom-Json turns strings that look like dates into DateTime (before
    7.5's -DateKind), which would change a value such as a path or name on its way to a
    function; so on PowerShell 7 this parses with System.Text.Json. Windows PowerShell 5.1's
    ConvertFrom-Json (JavaScriptSerializer) only converts the "\/Date(…)\/" form, which
    JSON.stringify never writes; its objects are converted with ConvertTo-CorralHashtable.
    Throws on invalid JSON.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Json
    )
    if ($PSVersionTable.PSEdition -ne 'Core') {
        return , (ConvertTo-CorralHashtable -InputObject (ConvertFrom-Json -InputObject $Json -ErrorAction Stop))
    }
    $convert = $null
    $convert = {
        param([System.Text.Json.JsonElement]$element)
        switch ($element.ValueKind) {
            'Object' {
                $table = [ordered]@{}
                foreach ($property in $element.EnumerateObject()) { $table[$property.Name] = & $convert $property.Value }
                return , $table
            }
            'Array' {
                $list = [System.Collections.Generic.List[object]]::new()
                foreach ($item in $element.EnumerateArray()) { $list.Add((& $convert $item)) }
                return , $list.ToArray()
            }
            'String' { return $element.GetString() }
            'Number' {
                $int = 0
                if ($element.TryGetInt32([ref]$int)) { return $int }
                $long = [long]0
                if ($element.TryGetInt64([ref]$long)) { return $long }
                return $element.GetDouble()
            }
            'True' { return $true }
            'False' { return $false }
            default { return $null }
        }
    }
    $document = [System.Text.Json.JsonDocument]::Parse($Json)
    try {
        return , (& $convert $document.RootElement)
    } finally {
        $document.Dispose()
    }
}
