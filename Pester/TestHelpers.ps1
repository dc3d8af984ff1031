# Shared set-up for the Pester tests of ps-module/Corral (dot-sourced from BeforeAll blocks).
# Unit tests never touch the machine's real Corral: the state folder is redirected into
# Pester's TestDrive by pointing $env:ProgramData there, and the installation is a private
# test instance (CORRAL_INSTANCE), the same mechanism the TypeScript tests use.

function Import-CorralTestModule {
    $manifest = Join-Path $PSScriptRoot '..\ps-module\Corral\Corral.psd1'
    Import-Module -Name $manifest -Force -ErrorAction Stop
}

function Enter-CorralTestState {
    param([Parameter(Mandatory)][string]$Root)
    $script:SavedProgramData = $env:ProgramData
    $script:SavedInstance = $env:CORRAL_INSTANCE
    $env:ProgramData = Join-Path $Root 'ProgramData'
    $env:CORRAL_INSTANCE = 'ctestunit'
    $null = New-Item -ItemType Directory -Path (Join-Path $env:ProgramData 'ctestunit\credentials') -Force
}

function Exit-CorralTestState {
    $env:ProgramData = $script:SavedProgramData
    $env:CORRAL_INSTANCE = $script:SavedInstance
}

function Write-CorralTestState {
    param([Parameter(Mandatory)][hashtable]$State)
    $path = Join-Path $env:ProgramData 'ctestunit\state.json'
    [System.IO.File]::WriteAllText($path, (ConvertTo-Json -InputObject $State -Depth 20), [System.Text.UTF8Encoding]::new($false))
}

function Write-CorralTestJournal {
    param([Parameter(Mandatory)][object[]]$Entries)
    $path = Join-Path $env:ProgramData 'ctestunit\journal.jsonl'
    $lines = foreach ($entry in $Entries) { ConvertTo-Json -InputObject $entry -Depth 10 -Compress }
    [System.IO.File]::WriteAllLines($path, [string[]]$lines, [System.Text.UTF8Encoding]::new($false))
}

function New-CorralTestStateRecord {
    # alice with both identities recorded (SIDs are made up; cmdlets are mocked).
    @{
        version      = 1
        installation = 'ctestunit'
        users        = @{
            alice = @{
                sid        = 'S-1-5-21-1-2-3-1001'
                identities = @{
                    offline = @{ name = 'ctes-off-alice'; sid = 'S-1-5-21-1-2-3-2001' }
                    online  = @{ name = 'ctes-on-alice'; sid = 'S-1-5-21-1-2-3-2002' }
                }
                network    = 'offline'
                workspaces = @()
            }
        }
        runner       = $null
    }
}
