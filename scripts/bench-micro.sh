#!/usr/bin/env bash
# Criterion micro-benchmarks of the hot paths (issue 5 item 3), in-process, no sockets:
#   wire    ike-wire parse/emit of a captured IKE_SA_INIT and IKE_AUTH request
#   crypto  SK seal/open (AES-GCM-256, AES-CBC-128+HMAC-SHA-256-128), KDF fresh/resume,
#           DH x25519/ecp256, ticket seal/open
#   engine  responder: IKE_SA_INIT, full handshake, IKE_SESSION_RESUME, resumption (PSK), and a
#           full handshake with ECDSA P-256 certificates
#   scripts/bench-micro.sh [BENCH...]     (default: wire crypto engine)
# Extra criterion flags via CRITERION_ARGS, e.g. CRITERION_ARGS="--measurement-time 10".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCHES=("$@"); [ ${#BENCHES[@]} -gt 0 ] || BENCHES=(wire crypto engine)
for b in "${BENCHES[@]}"; do
  # shellcheck disable=SC2086 # CRITERION_ARGS is a list of flags
  cargo bench -q --manifest-path "$ROOT/Cargo.toml" -p ike-bench --bench "$b" -- ${CRITERION_ARGS:-} 2>&1 |
    grep -E '^[a-z_0-9/+]+ *(time:|$)|time:' | sed 's/  */ /g'
done
