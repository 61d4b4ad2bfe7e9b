#!/usr/bin/env bash
# Memory figures (issue 5 item 4): bytes per established IKE SA with one Child SA on the
# responder, per suspended session on the client, session-file and ticket sizes, and the
# gateway's heap with many suspended clients (against a control without tickets).
#   scripts/bench-mem.sh [SAS] [SUSPENDED] [RESUME]        (10000 100000 10000)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p ike-bench --bin tessera-mem
"$ROOT/target/release/tessera-mem" --sas "${1:-10000}" --suspended "${2:-100000}" --resume "${3:-10000}" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); [print(f"{k:60} {v}") for k,v in sorted(d.items())]'
