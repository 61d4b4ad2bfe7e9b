#!/usr/bin/env bash
# The project's test command (see README.md): every test of the workspace, including the
# real-peer interop tests (strongSwan, libreswan 4.10/5.2, tshark).
#
# Real peers: unless TESSERA_SKIP_PEER_INSTALL=1, this first runs scripts/install-peers.sh, which
# needs root (apt-get, /opt) and network access to the Debian mirror; it is idempotent and takes
# well under a second once everything is present. The peer tests themselves also need root
# (network and mount namespaces). Without the peers, peer tests print "SKIPPED" and pass, except
# when CI=true, where a missing peer fails the test.
#
# Extra arguments go to the test runner, e.g. `scripts/test.sh -p tessera peers_smoke`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${TESSERA_SKIP_PEER_INSTALL:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    scripts/install-peers.sh
  else
    echo "test.sh: not root, skipping scripts/install-peers.sh (peer tests skip unless CI=true)" >&2
  fi
fi

# The harness reads CI to decide between "skip" and "fail" when a peer binary is missing.
export CI="${CI:-}"

ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(--workspace)
if cargo nextest --version >/dev/null 2>&1; then
  # nextest runs each test in its own process (clean teardown of peer daemons per test);
  # it does not run doctests, so those follow separately.
  cargo nextest run --no-tests=warn "${ARGS[@]}"
  if [ $# -eq 0 ]; then
    cargo test --workspace --doc
  fi
else
  cargo test "${ARGS[@]}"
fi
