#!/usr/bin/env bash
# Fuzz smoke run (STYLE rule 17): build every cargo-fuzz target in fuzz/, replay the committed
# regressions, then fuzz each target for a bounded time. Fails if any target crashes.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET=20] [TARGET...]
#
# Targets are discovered with `cargo fuzz list`, so a new fuzz_targets/*.rs plus its [[bin]]
# entry is picked up with no change here. Each run starts from the committed seeds in
# fuzz/corpus/<target>/ but writes new inputs to a scratch directory, so the committed corpus
# stays exactly what `cargo test --manifest-path fuzz/Cargo.toml` expects. Crashing inputs land
# in fuzz/artifacts/<target>/; to keep one, copy it to fuzz/regressions/<target>/ (replayed
# by every run of this script).
#
# Environment:
#   FUZZ_SANITIZER   cargo-fuzz sanitizer: none (default) or address. Our crates forbid
#                    `unsafe` and cargo-fuzz does not instrument aws-lc's C code, so ASan only
#                    watches dependencies' unsafe Rust; it also slows crypto-bigint's 2048-bit
#                    MODP arithmetic ~400x (5 s per ike_crypto_dh input), starving that target.
#                    Panics, overflow checks and debug assertions are on either way.
#   FUZZ_TOOLCHAIN   rustup toolchain to build with (default: the active one). On stable,
#                    RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

secs="${1:-20}"
shift || true
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "fuzz-smoke: seconds per target must be a positive integer, got '$secs'" >&2
  exit 2
fi
sanitizer="${FUZZ_SANITIZER:-none}"
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
  toolchain=("+$FUZZ_TOOLCHAIN")
fi
export RUSTC_BOOTSTRAP=1

if ! cargo "${toolchain[@]}" fuzz --version >/dev/null 2>&1; then
  echo "fuzz-smoke: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz-smoke: no fuzz targets found" >&2
  exit 1
fi

echo "=== fuzz-smoke: building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo "${toolchain[@]}" fuzz build -s "$sanitizer"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

declare -A execs result
failed=0
for t in "${targets[@]}"; do
  bin="target/x86_64-unknown-linux-gnu/release/$t"
  [ -x "$bin" ] || bin="$(find target -path "*/release/$t" -type f -perm -u+x | head -n1)"

  # Every committed regression must pass before new fuzzing counts for anything.
  if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
    echo "=== $t: replaying regressions/$t"
    if ! "$bin" -runs=0 "regressions/$t"/* >"$scratch/$t.replay.log" 2>&1; then
      tail -n 40 "$scratch/$t.replay.log"
      echo "=== $t: REGRESSION REPLAY FAILED"
      result[$t]="regression"
      failed=1
      continue
    fi
  fi

  # Targets without committed seeds (e.g. reassembly) start from an empty corpus directory.
  mkdir -p "$scratch/$t" "artifacts/$t" "corpus/$t"
  log="$scratch/$t.log"
  echo "=== $t: fuzzing for ${secs}s"
  set +e
  "$bin" "$scratch/$t" "corpus/$t" \
    -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  execs[$t]="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  if [ "$rc" -ne 0 ]; then
    grep -E "panicked|ERROR: libFuzzer|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -n 20
    echo "=== $t: CRASH (exit $rc); full log follows"
    tail -n 60 "$log"
    result[$t]="crash"
    failed=1
  else
    result[$t]="ok"
  fi
  echo "=== $t: ${result[$t]}, ${execs[$t]:-?} execs, $(sed -n 's/.*DONE.*\(cov: [0-9]*\).*/\1/p' "$log" | tail -n1)"
done

echo
printf '%-20s %-12s %s\n' target result execs
for t in "${targets[@]}"; do
  printf '%-20s %-12s %s\n' "$t" "${result[$t]:-?}" "${execs[$t]:--}"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz-smoke: FAILED (crashing inputs in fuzz/artifacts/<target>/)"
  exit 1
fi
echo "fuzz-smoke: all ${#targets[@]} targets ran ${secs}s without a crash"
