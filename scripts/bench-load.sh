#!/usr/bin/env bash
# Load runs of tessera-load against responders on 127.0.0.1 (issue 5, BENCHMARKS.md).
#
#   scripts/bench-load.sh [RESPONDER] [MODE] [COUNT] [RUNS]
#     RESPONDER  daemon   the tessera daemon (`tessera daemon --foreground`)   [default]
#                serve1   tessera-load's built-in responder, one engine task (the daemon's design)
#                serve2   the built-in responder with the engine sharded by SPI into 2 tasks
#     MODE       psk | cert | resume                                          [psk]
#     COUNT      handshakes per run                                            [5000]
#     RUNS       runs; a fresh responder for each; the median is printed last  [3]
#   env: CONCURRENCY (64), SOCKETS (16), LOAD_THREADS (tokio workers of the load tool; default
#        all cores), PORT (15500; NAT-T is PORT+1), OUT (result directory),
#        WORKERS (the daemon's `[daemon] workers`, engine shards; default: the daemon's, = cores)
#
# For the daemon, each run also writes threads.txt: CPU ticks (utime + stime) per thread of the
# responder at the end of the run (`tessera-worker` threads run the engine shards).
#
# Prints one JSON line per run (tessera-load's result) and a final "median" line. Every run is
# bounded (tessera-load --max-time, --timeout) and only loopback is used.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RESP=${1:-daemon}; MODE=${2:-psk}; COUNT=${3:-5000}; RUNS=${4:-3}
PORT=${PORT:-15500}; NATT=$((PORT + 1))
CONCURRENCY=${CONCURRENCY:-64}; SOCKETS=${SOCKETS:-16}
OUT=${OUT:-$(mktemp -d /tmp/tessera-bench.XXXXXX)}
mkdir -p "$OUT"

cargo build --release -q -p tessera --bin tessera -p ike-bench --bin tessera-load --manifest-path "$ROOT/Cargo.toml"
TESSERA=$ROOT/target/release/tessera
LOAD=$ROOT/target/release/tessera-load
THREADS=()
[ -n "${LOAD_THREADS:-}" ] && THREADS=(--threads "$LOAD_THREADS")

PKI=()
if [ "$MODE" = cert ]; then
  "$LOAD" pki "$OUT/pki"
  PKI=(--pki-dir "$OUT/pki")
fi

daemon_config() { # <dir>
  local auth_local='auth = "psk"' auth_remote='auth = "psk"'
  if [ "$MODE" = cert ]; then
    auth_local="auth = \"pubkey\"
certs = [\"$OUT/pki/gw.crt.pem\"]
key = \"$OUT/pki/gw.key.pem\""
    auth_remote="auth = \"pubkey\"
cacerts = [\"$OUT/pki/ca.crt.pem\"]"
  fi
  cat >"$1/tessera.toml" <<EOC
[daemon]
listen = ["127.0.0.1"]
port = $PORT
natt_port = $NATT
remote_natt_port = $NATT
control_socket = "$1/tessera.sock"
state_dir = "$1/state"
log_level = "warn"
cookie_threshold = 1000000
half_open_limit = 1000000
${WORKERS:+workers = $WORKERS}

[connections.gw]
proposals = ["aes128gcm16-prfsha256-x25519"]
[connections.gw.local]
$auth_local
id = "gw.load.test"
[connections.gw.remote]
$auth_remote
[connections.gw.children.net]
esp_proposals = ["aes128gcm16"]

[secrets.psk.gw]
secret = "load-test-psk-0123456789"
EOC
}

PID=""
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT

start() { # <run dir>
  case "$RESP" in
    daemon)
      daemon_config "$1"
      "$TESSERA" daemon --foreground --config "$1/tessera.toml" >"$1/daemon.log" 2>&1 &
      PID=$! ;;
    serve1|serve2)
      "$LOAD" serve --listen "127.0.0.1:$PORT" --natt-port "$NATT" --shards "${RESP#serve}" "${PKI[@]}" \
        >"$1/serve.log" 2>&1 &
      PID=$! ;;
    *) echo "unknown responder $RESP" >&2; exit 2 ;;
  esac
  for _ in $(seq 100); do
    ss -Huln "sport = :$PORT" | grep -q . && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$1"/*.log >&2; exit 1; }
    sleep 0.1
  done
  echo "responder did not bind port $PORT" >&2; exit 1
}

for i in $(seq "$RUNS"); do
  D="$OUT/run$i"; mkdir -p "$D"
  start "$D"
  "$LOAD" "${THREADS[@]}" run --mode "$MODE" --target "127.0.0.1:$PORT" --natt-port "$NATT" \
    --count "$COUNT" --concurrency "$CONCURRENCY" --sockets "$SOCKETS" --max-time 120 --timeout 15 \
    --responder-pid "$PID" "${PKI[@]}" | tee "$D/result.json"
  for t in /proc/"$PID"/task/*; do
    echo "$(cat "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done >"$D/threads.txt" 2>/dev/null || true
  stop
done

python3 - "$OUT" "$RESP" "$RUNS" <<'PY'
import json, statistics, sys, glob
out, resp, runs = sys.argv[1:]
rs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/run*/result.json"))]
med = lambda k: statistics.median([r[k] for r in rs if r.get(k) is not None]) if any(r.get(k) is not None for r in rs) else None
print(json.dumps({"median_of": len(rs), "responder": resp, "mode": rs[0]["mode"] if rs else None,
  **{k: med(k) for k in ["completed", "failures", "rate_per_s", "p50_ms", "p99_ms",
                          "responder_cpu_s_per_1000", "load_cpu_s", "responder_rss_kib"]}}))
PY
