#!/usr/bin/env bash
# PowerShell 7 and Pester 5 for the module's tests (issue 12), idempotently; called by
# scripts/prepare.sh. PowerShell installs as the .NET global tool (the pinned 7.6.10: without
# a version `dotnet tool install` takes 7.7.0, which fails to install); `pwsh` is linked into
# /usr/local/bin so non-login shells find it. Pester comes from NuGet (the package carries the
# module under tools/) through a restore of a throwaway project with a PackageDownload item,
# into /usr/local/share/powershell/Modules — on pwsh's machine-wide PSModulePath.
# A second run checks three paths and returns (well under a second).
set -euo pipefail

pwsh_version=7.6.10
pester_version=5.7.1
tool_dir=${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools
pester_dir=/usr/local/share/powershell/Modules/Pester/$pester_version

if [[ ! -x $tool_dir/pwsh || ! -d $tool_dir/.store/powershell/$pwsh_version ]]; then
  command -v dotnet >/dev/null || { echo "prepare-pwsh: the .NET SDK (dotnet) is missing; it installs PowerShell 7." >&2; exit 5; }
  dotnet tool uninstall --global PowerShell >/dev/null 2>&1 || true
  dotnet tool install --global PowerShell --version "$pwsh_version" >/dev/null
fi
if [[ "$(readlink /usr/local/bin/pwsh 2>/dev/null)" != "$tool_dir/pwsh" ]]; then
  ln -sfn "$tool_dir/pwsh" /usr/local/bin/pwsh
fi

if [[ ! -f $pester_dir/Pester.psd1 ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cat >"$work/pester.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pester_version]" /></ItemGroup>
</Project>
PROJ
  dotnet restore "$work/pester.csproj" --packages "$work/packages" >/dev/null
  mkdir -p "$(dirname "$pester_dir")"
  rm -rf "$pester_dir.tmp"
  cp -r "$work/packages/pester/$pester_version/tools" "$pester_dir.tmp"
  mv "$pester_dir.tmp" "$pester_dir"
fi
