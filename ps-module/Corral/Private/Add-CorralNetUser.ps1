function Add-CorralNetUser {
    <#
    .SYNOPSIS
    Seam: NetUserAdd (netapi32, level 1) of a local account; returns the NET_API_STATUS (0 = created).

    .DESCRIPTION
    USER_INFO_1 with USER_PRIV_USER and the flags UF_SCRIPT | UF_PASSWD_CANT_CHANGE |
    UF_DONT_EXPIRE_PASSWD (the account itself never expires: NetUserAdd's default). The
    password goes from the SecureString to unmanaged memory, which is zeroed and freed here;
    it never becomes a managed string. Compiled with Add-Type, which works the same on Windows
    PowerShell 5.1 and PowerShell 7 — unlike New-LocalUser, which fails on PowerShell 7.3+
    (PowerShell issue 18624: "Could not load type ...TelemetryAPI"). Windows-only; tests
    replace it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)]
        [string]$Name,
        [Parameter(Mandatory)]
        [System.Security.SecureString]$Password,
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Description
    )
    if (-not $PSCmdlet.ShouldProcess($Name, 'NetUserAdd')) { return 0 }
    if (-not ('Corral.Native.NetApi' -as [type])) {
        Add-Type -Namespace 'Corral.Native' -Name 'NetApi' -MemberDefinition @'
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, CharSet = System.Runtime.InteropServices.CharSet.Unicode)]
public struct USER_INFO_1 {
    public string usri1_name;
    public System.IntPtr usri1_password;
    public uint usri1_password_age;
    public uint usri1_priv;
    public string usri1_home_dir;
    public string usri1_comment;
    public uint usri1_flags;
    public string usri1_script_path;
}
[System.Runtime.InteropServices.DllImport("netapi32.dll", CharSet = System.Runtime.InteropServices.CharSet.Unicode, ExactSpelling = true)]
public static extern int NetUserAdd(string servername, uint level, ref USER_INFO_1 buf, out uint parm_err);
'@
    }
    $userPrivUser = 1
    $flags = 0x0001 -bor 0x0040 -bor 0x10000 # UF_SCRIPT | UF_PASSWD_CANT_CHANGE | UF_DONT_EXPIRE_PASSWD
    $pointer = [System.Runtime.InteropServices.Marshal]::SecureStringToGlobalAllocUnicode($Password)
    try {
        $info = New-Object 'Corral.Native.NetApi+USER_INFO_1'
        $info.usri1_name = $Name
        $info.usri1_password = $pointer
        $info.usri1_priv = $userPrivUser
        $info.usri1_comment = $Description
        $info.usri1_flags = $flags
        $parameterError = [uint32]0
        return [Corral.Native.NetApi]::NetUserAdd($null, 1, [ref]$info, [ref]$parameterError)
    } finally {
        [System.Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($pointer)
    }
}
