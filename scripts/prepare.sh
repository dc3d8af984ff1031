#!/usr/bin/env bash
# Install what Corral and its tests need on Debian 12 (run as root), idempotently:
# Debian packages, the npm dependencies, the build, PowerShell 7 with Pester 5, and — unless --no-wine — Wine with a
# Windows node.exe for the Windows smoke test. Used by the README's commands and .ci/run.
set -Eeuo pipefail
# Say which command failed: a bare exit code in a CI log names nothing.
trap 'echo "prepare.sh: exit $? at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."

wine=1
for arg in "$@"; do
  case "$arg" in
    --no-wine) wine=0 ;;
    *) echo "usage: $0 [--no-wine]" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/prepare.sh installs Debian packages: run it as root (sudo bash scripts/prepare.sh)." >&2
  exit 4
fi

# nftables, acl, sudo, iproute2: what provisioning drives; git, python3, procps, util-linux:
# what the tests use (git repositories, network test hosts, pgrep, setpriv, flock); python3-pip, openssl: pip
# through the allowlist proxy against a test host's HTTPS index (run-allowlist); python3-venv: a venv made
# inside a session (test/integration/real-toolchains, the bench's real projects); strace: the crash
# suite's exact kill points (provision-crash); ansible-core and ansible-lint: the Ansible role's tests (test/ansible);
# e2fsprogs: mkfs.ext4 and resize2fs for the bounded workspace homes (limits.homeBytes, runner/linux/home-image.ts);
# tmux: a terminal of a known size that can be resized, for the pty suite (test/integration/run-pty); util-linux
# also gives `setsid --ctty`, which starts pty commands (runner/linux/command.ts).
packages=(nftables acl sudo iproute2 e2fsprogs git python3 python3-pip python3-venv openssl procps util-linux strace ansible-core ansible-lint tmux)
need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  flock /tmp/corral-apt.lock bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null' _ "${need[@]}"
fi

if [[ ! -d node_modules/koffi || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
# koffi's win32-x64 binary, so that the package built here carries what its Windows runner loads.
bash scripts/prepare-koffi-win32.sh
npm run build --silent

# PowerShell 7 and Pester 5 (the module's Pester suite and the simulated Windows in npm test).
bash scripts/prepare-pwsh.sh

if ((wine)); then
  bash test/windows/prepare-wine.sh
fi
