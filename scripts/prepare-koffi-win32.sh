#!/usr/bin/env bash
# Put koffi's win32-x64 native binary (npm package @koromix/koffi-win32-x64, the same version as
# the installed koffi) into node_modules/@koromix/, so that a Corral package built on Linux — the
# fleet package install.ps1 ships with — carries what its Windows runner loads (issue 12, item
# 5k) and the build's digest list (dist/package-digests.json) names it. npm install skips this
# optional dependency on Linux (its os/cpu do not match); `npm pack` fetches the tarball through
# the registry client without that check. Idempotent: nothing is fetched when the right version
# is already there. Run after `npm ci` (which empties node_modules) and before `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(node -p 'require("./node_modules/koffi/package.json").version')"
target="node_modules/@koromix/koffi-win32-x64"
if [[ -f "$target/package.json" ]] && [[ "$(node -p "require('./$target/package.json').version")" == "$version" ]]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@koromix/koffi-win32-x64@$version" >/dev/null)
rm -rf "$target"
mkdir -p "$target"
tar -xzf "$tmp"/*.tgz -C "$target" --strip-components=1
test -f "$target/win32_x64/koffi.node"
echo "koffi win32-x64 $version in $target"
