Describe 'New-CorralErrorRecord' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '..\TestHelpers.ps1')
        Import-CorralTestModule
    }
    BeforeEach { Enter-CorralTestState -Root $TestDrive }
    AfterEach { Exit-CorralTestState }
    Context 'behaviour' {
        It 'carries the ErrorId, category, target and message' {
            $record = InModuleScope Corral { New-CorralErrorRecord -ErrorId 'CorralNotProvisioned' -Message 'm' -Category ObjectNotFound -TargetObject 'alice' }
            $record.FullyQualifiedErrorId | Should -BeExactly 'CorralNotProvisioned'
            $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $record.TargetObject | Should -Be 'alice'
            $record.Exception.Message | Should -BeExactly 'm'
        }
        It 'keeps the inner exception' {
            $record = InModuleScope Corral { New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Message 'outer' -InnerException ([System.IO.IOException]::new('inner')) }
            $record.Exception.InnerException.Message | Should -Be 'inner'
        }
        It 'refuses an ErrorId outside the documented list' {
            { InModuleScope Corral { New-CorralErrorRecord -ErrorId 'CorralSomethingElse' -Message 'm' } } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }
    }
}
