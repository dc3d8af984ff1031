#!/usr/bin/env bash
# Corral's main job, end to end, as root on Debian 12:
#   1. install prerequisites and build (scripts/prepare.sh --no-wine);
#   2. provision the workspace (default: the current directory) and print the status;
#   3. run sandboxed commands: a write outside the workspace (blocked), a connection to a
#      real listener on a test host this script creates in a network namespace (blocked for
#      the offline identity, reachable from the host), and a write inside the workspace.
# The test host (namespace corral-demo, 10.203.77.0/30) is removed on exit. The provisioned
# installation stays; remove it with `node dist/orchestrator/cli/main.js teardown --yes`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ws="$(realpath "${1:-$PWD}")"

bash "$repo/scripts/prepare.sh" --no-wine >/dev/null
corral() { node "$repo/dist/orchestrator/cli/main.js" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "corral setup --yes --workspace $ws"
corral setup --yes --workspace "$ws"
say "corral status"
corral status

# A test host: a network namespace with a veth pair and an HTTP listener on 10.203.77.2:8080.
ns=corral-demo
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del corral-demo0 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$ns"
ip link add corral-demo0 type veth peer name corral-demo1
ip link set corral-demo1 netns "$ns"
ip addr add 10.203.77.1/30 dev corral-demo0 && ip link set corral-demo0 up
ip netns exec "$ns" ip addr add 10.203.77.2/30 dev corral-demo1
ip netns exec "$ns" ip link set corral-demo1 up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" timeout 60 node -e \
  "require('http').createServer((q, s) => s.end('hello from the test host\n')).listen(8080, '10.203.77.2')" &
fetch='fetch("http://10.203.77.2:8080").then(r => r.text()).then(t => process.stdout.write("reached: " + t), e => { console.log("connection failed:", e.cause?.code ?? e.message); process.exit(1); })'
for _ in $(seq 50); do node -e "$fetch" >/dev/null 2>&1 && break; sleep 0.1; done

say "outside the sandbox, the host reaches the test host"
node -e "$fetch"

say "corral run -- sh -c 'echo x > /etc/corral-demo'      (outside the workspace)"
corral run -- sh -c 'echo x > /etc/corral-demo' && echo "UNEXPECTED: the write succeeded" || echo "=> blocked (exit $?)"

say "corral run -- node -e 'fetch(http://10.203.77.2:8080)'    (offline identity)"
corral run -- node -e "$fetch" && echo "UNEXPECTED: connected" || echo "=> blocked (exit $?)"

say "corral run -- sh -c 'echo written-inside > corral-demo.txt'   (inside the workspace)"
corral run -- sh -c 'echo written-inside > corral-demo.txt && cat corral-demo.txt'
rm -f "$ws/corral-demo.txt"
