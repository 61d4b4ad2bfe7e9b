#!/usr/bin/env bash
# Side by side (issue 5 item 2): strongSwan 5.9.8's load-tester initiating against
#   (a) charon (strongSwan 5.9.8 + load-tester plugin, fake kernel) and
#   (b) the Tessera daemon (kernel backend "none"),
# same proposals (aes128gcm16-prfsha256-x25519, ESP aes128gcm16, one Child SA), PSK, same count,
# runs alternating, medians. As root. Needs /opt/strongswan-lt (BUILD_SW_LT=1 scripts/install-peers.sh).
#
#   scripts/bench-strongswan.sh [RUNS] [THREADS] [ITERATIONS] [INIT_LIMIT]      (3 2 2500 128)
#   env PIN=yes: load-tester on CPU 0, responder on CPU 1.  OUT=dir for logs and results.
#
# Traffic stays between two network namespaces this script creates (tsbA 198.18.0.1,
# tsbB 198.18.0.2, a veth pair; the load-tester always targets port 500, hence namespaces).
# Rate = (established-1)/(t_last-t_first) from the initiator's "IKE_SA load-test[N] established"
# lines; responder CPU = utime+stime from /proc/<pid>/stat, sampled just before the initiator
# starts and after it finished.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${1:-3}; T=${2:-2}; IT=${3:-2500}; LIM=${4:-128}
PROP=aes128gcm16-prfsha256-x25519; ESP=aes128gcm16
LT=/opt/strongswan-lt
OUT=${OUT:-$(mktemp -d /tmp/tessera-sw.XXXXXX)}
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "bench-strongswan: must run as root (netns)" >&2; exit 1; }
[ -x $LT/libexec/ipsec/charon ] || { echo "bench-strongswan: $LT missing: BUILD_SW_LT=1 scripts/install-peers.sh" >&2; exit 1; }
cargo build --release -q -p tessera --bin tessera --manifest-path "$ROOT/Cargo.toml"
TESSERA=$ROOT/target/release/tessera

# --- namespaces ---
A=tsbA; B=tsbB; IPA=198.18.0.1; IPB=198.18.0.2
netns_up() {
  ip netns list | grep -qw $A || ip netns add $A
  ip netns list | grep -qw $B || ip netns add $B
  if ! ip -n $A link show tsbv0 >/dev/null 2>&1; then
    ip link add tsbv0 type veth peer name tsbv1
    ip link set tsbv0 netns $A; ip link set tsbv1 netns $B
    ip -n $A addr add $IPA/24 dev tsbv0; ip -n $B addr add $IPB/24 dev tsbv1
  fi
  for n in $A $B; do ip -n $n link set lo up; done
  ip -n $A link set tsbv0 up; ip -n $B link set tsbv1 up
}
netns_up

lt_conf() { # <out> <role init|resp> <log>
  local role=$2 initiator=0.0.0.0 responder=$IPB n=0 it=0 lim=0 shut=no level=-1
  if [ "$role" = init ]; then initiator=$IPA; n=$T; it=$IT; lim=$LIM; shut=yes; level=0; fi
  cat >"$1" <<EOC
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey kdf curve25519 aes sha1 sha2 hmac gcm load-tester kernel-netlink socket-default
    dos_protection = no
    block_threshold = 1000000
    cookie_threshold = 1000000
    init_limit_half_open = 0
    half_open_timeout = 60
    ikesa_table_size = 4096
    ikesa_table_segments = 16
    reuse_ikesa = no
    threads = 16
    routing_table = 0
    install_routes = no
    retransmit_tries = 3
    syslog {
    }
    filelog {
        lt {
            path = $3
            default = $level
            time_format = %s
            time_add_ms = yes
            flush_line = no
            append = no
        }
    }
    plugins {
        load-tester {
            enable = yes
            initiators = $n
            iterations = $it
            delay = 0
            init_limit = $lim
            shutdown_when_complete = $shut
            fake_kernel = yes
            socket = unix://$OUT/lt-$role.ldt
            initiator = $initiator
            responder = $responder
            proposal = $PROP
            esp = $ESP
            initiator_auth = psk
            responder_auth = psk
            preshared_key = load-test-psk-0123456789
            childless = no
            mode = tunnel
        }
    }
}
EOC
}

tessera_conf() { # <dir>
  cat >"$1/tessera.toml" <<EOC
[daemon]
listen = ["$IPB"]
port = 500
natt_port = 4500
control_socket = "$1/tessera.sock"
state_dir = "$1/state"
log_level = "warn"
cookie_threshold = 1000000
half_open_limit = 1000000

[connections.lt]
proposals = ["$PROP"]
[connections.lt.local]
auth = "psk"
id = "srv.strongswan.org"
[connections.lt.remote]
auth = "psk"
[connections.lt.children.net]
esp_proposals = ["$ESP"]

[secrets.psk.lt]
secret = "load-test-psk-0123456789"
EOC
}

# charon in a namespace, own session (shutdown_when_complete kills its process group) and
# private mount namespace (tmpfs over the compiled-in pid dir).
start_charon() { # <netns> <conf>
  mkdir -p $LT/run
  setsid ip netns exec "$1" unshare --mount --propagation private \
    sh -c 'mount -t tmpfs tmpfs /opt/strongswan-lt/run && exec env STRONGSWAN_CONF="$0" /opt/strongswan-lt/libexec/ipsec/charon' "$2" \
    </dev/null >/dev/null 2>&1 &
  echo $!
}
alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true); [ -n "$st" ] && [ "$st" != Z ]; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
wait_port500() {
  for _ in $(seq 100); do ip netns exec $B ss -Huln 'sport = :500' | grep -q . && return 0; sleep 0.1; done
  return 1
}
wait_free500() {
  for _ in $(seq 100); do
    ip netns exec $A ss -Huln 'sport = :500' | grep -q . || ip netns exec $B ss -Huln 'sport = :500' | grep -q . || return 0
    sleep 0.2
  done
  return 1
}
kill_wait() { for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do local any=0; for p in "$@"; do alive "$p" && any=1; done; [ $any = 0 ] && return 0; sleep 0.1; done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done; }

run_one() { # <charon|tessera> <i>
  local resp=$1 i=$2 D="$OUT/$1-$2" PB PA
  mkdir -p "$D"
  wait_free500 || { echo "port 500 busy" >&2; return 1; }
  if [ "$resp" = charon ]; then
    lt_conf "$D/resp.conf" resp "$D/resp.log"
    PB=$(start_charon $B "$D/resp.conf")
  else
    tessera_conf "$D"
    ip netns exec $B "$TESSERA" daemon --foreground --config "$D/tessera.toml" >"$D/daemon.log" 2>&1 &
    PB=$!
  fi
  wait_port500 || { echo "$resp did not bind port 500" >&2; kill_wait "$PB"; return 1; }
  sleep 0.5
  lt_conf "$D/init.conf" init "$D/init.log"
  local CB0; CB0=$(cpu "$PB")
  PA=$(start_charon $A "$D/init.conf")
  if [ "${PIN:-no}" = yes ]; then taskset -a -p -c 0 "$PA" >/dev/null; taskset -a -p -c 1 "$PB" >/dev/null; fi
  local end=$(( $(date +%s) + ${LT_TIMEOUT:-120} )) CA=0 CB="$CB0" c
  while [ "$(date +%s)" -lt $end ] && alive "$PA"; do
    c=$(cpu "$PA"); [ "$c" != 0 ] && CA=$c
    c=$(cpu "$PB"); [ "$c" != 0 ] && CB=$c
    sleep 0.05
  done
  c=$(cpu "$PB"); [ "$c" != 0 ] && CB=$c
  kill_wait "$PA" "$PB"
  python3 - "$D/init.log" "$resp" "$((T*IT))" "$CA" "$CB0" "$CB" "${PIN:-no}" <<'PY' | tee "$D/result.json"
import sys, json
log, resp, total, ca, cb0, cb, pin = sys.argv[1:]
lines = open(log).read().splitlines()
ts = sorted(float(l.split()[0]) for l in lines if 'IKE_SA load-test[' in l and 'established between' in l)
out = {'responder': resp, 'target': int(total), 'established': len(ts), 'pin': pin,
       'retransmit_lines': sum('retransmit' in l for l in lines),
       'init_cpu_s': int(ca) / 100, 'resp_cpu_s': (int(cb) - int(cb0)) / 100}
if len(ts) > 1:
    span = ts[-1] - ts[0]
    out['span_s'] = round(span, 3)
    out['rate_per_s'] = round((len(ts) - 1) / span, 1)
    out['resp_cpu_s_per_1000'] = round(out['resp_cpu_s'] / len(ts) * 1000, 4)
    out['init_cpu_s_per_1000'] = round(out['init_cpu_s'] / len(ts) * 1000, 4)
print(json.dumps(out))
PY
}

for i in $(seq "$RUNS"); do
  run_one charon "$i"
  run_one tessera "$i"
done

python3 - "$OUT" <<'PY'
import json, glob, statistics, sys
out = sys.argv[1]
med = {}
for resp in ('charon', 'tessera'):
    rs = [json.load(open(f)) for f in sorted(glob.glob(f'{out}/{resp}-*/result.json'))]
    m = lambda k: statistics.median([r[k] for r in rs if k in r]) if any(k in r for r in rs) else None
    med[resp] = {k: m(k) for k in ('established', 'rate_per_s', 'resp_cpu_s_per_1000', 'init_cpu_s_per_1000')}
    med[resp]['runs'] = [r.get('rate_per_s') for r in rs]
    med[resp]['cpu_runs'] = [r.get('resp_cpu_s_per_1000') for r in rs]
c, t = med['charon'], med['tessera']
ratio = lambda a, b: round(a / b, 2) if a and b else None
print(json.dumps({'median': med,
                  'ratio_rate_tessera_over_charon': ratio(t['rate_per_s'], c['rate_per_s']),
                  'ratio_resp_cpu_tessera_over_charon': ratio(t['resp_cpu_s_per_1000'], c['resp_cpu_s_per_1000'])}))
PY
