function New-CorralUserProfile {
    <#
    .SYNOPSIS
    Creates the profile (folder and registry hive) of a local account once, without a logon.

    .DESCRIPTION
    Calls CreateProfile from userenv.dll through Add-Type. Chosen over a logon with
    `Start-Process -Credential -LoadUserProfile` because it needs no password in this process,
    no Secondary Logon service, and works when the installer runs as SYSTEM (Intune, SCCM,
    GPO startup scripts), where Start-Process -Credential is not available. The profile then
    exists before the runner's first CreateProcessWithLogonW, so no session pays for it.
    HRESULT 0x800700B7 (already exists) counts as success. Returns the profile path.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [ValidatePattern('^S-1-5-21-\d+-\d+-\d+-\d+$')]
        [string]$Sid,
        [Parameter(Mandatory)]
        [string]$Name
    )
    if (-not $PSCmdlet.ShouldProcess($Name, 'Create user profile')) { return $null }
    if (-not ('Corral.Native.UserEnv' -as [type])) {
        Add-Type -Namespace 'Corral.Native' -Name 'UserEnv' -MemberDefinition @'
[System.Runtime.InteropServices.DllImport("userenv.dll", CharSet = System.Runtime.InteropServices.CharSet.Unicode, ExactSpelling = true)]
public static extern int CreateProfile(string pszUserSid, string pszUserName, System.Text.StringBuilder pszProfilePath, uint cchProfilePath);
'@
    }
    $buffer = [System.Text.StringBuilder]::new(260)
    $hr = [Corral.Native.UserEnv]::CreateProfile($Sid, $Name, $buffer, [uint32]$buffer.Capacity)
    $alreadyExists = -2147024713 # HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) = 0x800700B7
    if ($hr -eq 0) { return $buffer.ToString() }
    if ($hr -eq $alreadyExists) {
        $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid"
        return [Environment]::ExpandEnvironmentVariables([string](Get-CorralRegistryValue -Key $key -Name ProfileImagePath))
    }
    $PSCmdlet.ThrowTerminatingError((New-CorralErrorRecord -ErrorId 'CorralStepFailed' -Category NotSpecified `
        -Message ("CreateProfile for {0} failed with HRESULT 0x{1:X8}." -f $Name, $hr) -TargetObject $Name))
}
