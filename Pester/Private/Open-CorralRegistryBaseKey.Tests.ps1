Describe 'Open-CorralRegistryBaseKey' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule -WithoutSim
    }
    Context 'behaviour' {
        It 'refuses a key outside HKLM:\ and HKCU:\ (CorralArgumentsInvalid) before opening anything' -ForEach @(
            @{ Key = 'HKU:\S-1-5-18\x' }, @{ Key = 'SOFTWARE\Corral' }, @{ Key = 'HKLM:\' }, @{ Key = 'HKLM:\\x' }
        ) {
            { InModuleScope Corral -Parameters @{ Key = $Key } { param($Key) Open-CorralRegistryBaseKey -Key $Key } } | Should -Throw -ErrorId 'CorralArgumentsInvalid*'
        }
        It 'refuses a view other than Registry64, Registry32 or Default' {
            { InModuleScope Corral { Open-CorralRegistryBaseKey -Key 'HKLM:\SOFTWARE\x' -View 'Wow64' } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
        It 'opens HKLM in the 64-bit view by default, with the subkey path below it' -Tag Windows {
            Skip-CorralUnlessWindows
            $opened = InModuleScope Corral { Open-CorralRegistryBaseKey -Key 'HKLM:\SOFTWARE\Microsoft\' }
            try {
                "$($opened.Base.View)" | Should -Be 'Registry64'
                $opened.Base.Name | Should -Be 'HKEY_LOCAL_MACHINE'
                $opened.SubKey | Should -Be 'SOFTWARE\Microsoft'
            } finally { $opened.Base.Dispose() }
            $current = InModuleScope Corral { Open-CorralRegistryBaseKey -Key 'HKCU:\Software' -View Registry32 }
            try {
                "$($current.Base.View)" | Should -Be 'Registry32'
                $current.Base.Name | Should -Be 'HKEY_CURRENT_USER'
            } finally { $current.Base.Dispose() }
        }
    }
}
