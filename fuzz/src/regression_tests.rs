//! Bugs the fuzzers found, as tests (`#[ignore]`d until fixed; the inputs are in
//! `regressions/<target>/`, which `scripts/fuzz-smoke.sh` replays before fuzzing).

use std::path::Path;
use std::time::Duration;

use crate::responder::replay;

fn regression(target: &str, name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `endpoint_responder`: IKE_SA_INIT on port 500, IKE_AUTH on 4500 (the NAT-T float). The
/// SA is established, but its half-open index entry — keyed by the address of IKE_SA_INIT and
/// removed by the SA's current address — stays forever. Engine-level twin:
/// `crates/ike-proto/tests/faults.rs::nat_t_float_leaves_no_half_open_entry`.
#[test]
fn endpoint_responder_half_open_entry_survives_a_nat_t_float() {
    // Minimal: the recorded handshake with its IKE_AUTH moved to the NAT-T port (marker
    // added). Panics in `replay`: one half-open SA left after the half-open timeout.
    let ep = replay(&regression(
        "endpoint_responder",
        "nat_t_float_before_ike_auth",
    ));
    assert_eq!(ep.half_open_count(), 0);
    // The fuzzer's own input (three IKE_SA_INITs, one on 4500, then IKE_AUTH on 500).
    replay(&regression(
        "endpoint_responder",
        "crash-e1561fc9dc7efeeb2c38790fa9598785bb4dc8ef",
    ));
}

/// `config_parse`: a `log_level` whose field-value filter is compiled as a regular expression
/// by `tracing_subscriber::EnvFilter` (dense DFA): minutes of CPU and > 2 GB of memory for a
/// 300-byte directive (libFuzzer timeout, then out-of-memory). The config file is trusted, so
/// this is robustness rather than an attack surface, but `tessera reload` on a typo should not
/// hang the daemon. Fix: build the filter with `EnvFilter::builder().with_regex(false)` in
/// `tessera::config` (and `cli.rs`), as tracing-subscriber advises for untrusted input.
#[test]
fn config_parse_log_level_regex_is_bounded() {
    let text = String::from_utf8(regression("config_parse", "log_level_regex_dfa_blowup")).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = tessera::config::Config::parse(&text, Path::new("/nonexistent/tessera.toml"));
        let _ = tx.send(r.is_ok());
    });
    // The thread is left running on failure; the test process ends anyway.
    assert!(
        rx.recv_timeout(Duration::from_secs(2)).is_ok(),
        "Config::parse still running after 2 s"
    );
}
