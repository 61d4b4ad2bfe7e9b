//! Secret hygiene (issue 6, item 6): with every `tracing` event and span captured at TRACE,
//! a client and a gateway run setup, Child SA rekey, IKE SA rekey, ticket renewal, suspend,
//! resume, DPD and delete. Key export is on, so the test can fetch the real keys: SK_e/SK_a of
//! every IKE SA that ever existed (harvested after every simulation step), the Child SA keys of
//! every `ChildUp`, SK_d and the ticket of the suspended session, the ticket plaintext (opened
//! with a copy of the gateway's ring), the ring's own keys, and the PSK. None of them — raw,
//! lower- or upper-case hex, colon-separated hex, or Rust's `[1, 2, …]` slice `Debug` form, in
//! any 8-byte window — may appear in the log output or in the `Debug` of events, `SaInfo`,
//! `SuspendedSession`, `TicketKeyRing`, `ResumptionState`, `IkeKeyExport`, `ChildKeys` or the
//! configuration.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use ike_proto::ticket::{ResumptionState, TicketKeyRing};
use ike_proto::{EndpointConfig, Event, IkeProposal};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything written by the subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Named secret byte strings.
#[derive(Default)]
struct Secrets(Vec<(String, Vec<u8>)>);

impl Secrets {
    fn add(&mut self, label: impl Into<String>, bytes: &[u8]) {
        if !bytes.is_empty() && !self.0.iter().any(|(_, b)| b == bytes) {
            self.0.push((label.into(), bytes.to_vec()));
        }
    }

    fn harvest_key_exports(&mut self, n: &Node, side: &str) {
        for sa in n.ep.list() {
            for spi in [sa.spi_i, sa.spi_r] {
                if let Some(k) = n.ep.key_export(&spi) {
                    let id = hex::encode(spi);
                    self.add(format!("{side} SK_ei {id}"), k.sk_ei.expose());
                    self.add(format!("{side} SK_er {id}"), k.sk_er.expose());
                    self.add(format!("{side} SK_ai {id}"), k.sk_ai.expose());
                    self.add(format!("{side} SK_ar {id}"), k.sk_ar.expose());
                }
            }
        }
    }

    fn harvest_child_keys(&mut self, n: &Node, side: &str) {
        for e in &n.events {
            if let Event::ChildUp { spi_in, keys, .. } = e {
                let id = format!("{spi_in:08x}");
                self.add(format!("{side} child encr_i {id}"), keys.encr_i.expose());
                self.add(format!("{side} child encr_r {id}"), keys.encr_r.expose());
                self.add(format!("{side} child integ_i {id}"), keys.integ_i.expose());
                self.add(format!("{side} child integ_r {id}"), keys.integ_r.expose());
            }
        }
    }

    /// Every form of every 8-octet window (or the whole secret if shorter) that must not appear.
    fn needles(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for (label, s) in &self.0 {
            let w = s.len().min(8);
            for win in s.windows(w) {
                let lower = hex::encode(win);
                out.push((format!("{label} (raw)"), win.to_vec()));
                out.push((format!("{label} (hex)"), lower.clone().into_bytes()));
                out.push((format!("{label} (HEX)"), lower.to_uppercase().into_bytes()));
                let colon: Vec<String> = win.iter().map(|b| format!("{b:02x}")).collect();
                out.push((format!("{label} (aa:bb)"), colon.join(":").into_bytes()));
                let dec: Vec<String> = win.iter().map(u8::to_string).collect();
                out.push((format!("{label} (debug)"), dec.join(", ").into_bytes()));
            }
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Which secrets occur in `hay`, in any form.
fn leaks(hay: &[u8], needles: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut v: Vec<String> = needles
        .iter()
        .filter(|(_, n)| find(hay, n))
        .map(|(l, _)| l.clone())
        .collect();
    v.dedup();
    v
}

/// Step the simulation for `limit`, harvesting the IKE keys of every SA after every step (old
/// SAs of a rekey or resume exist only for a few steps).
fn drive(p: &mut Pair, s: &mut Secrets, limit: Duration) {
    let end = p.now + limit;
    for _ in 0..100_000 {
        s.harvest_key_exports(&p.a, "a");
        s.harvest_key_exports(&p.b, "b");
        if !p.step_until(Some(end)) {
            return;
        }
    }
    panic!("simulation did not settle");
}

/// The same ring [`install_ticket_keys`] gives the gateway (same seed, time and rotation).
fn ring_copy() -> TicketKeyRing {
    TicketKeyRing::generate(1_790_000_000, 86_400, &mut ChaCha20Rng::seed_from_u64(99))
}

fn run_lifecycle_and_scan(suite: IkeProposal, seed: u64) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let (mut a, mut b) = default_conns();
    a.ike_proposals = vec![suite.clone()];
    b.ike_proposals = vec![suite];
    a.dpd_delay = Duration::from_secs(20);
    let cfg = EndpointConfig {
        export_keys: true,
        ..test_endpoint_config()
    };
    let mut p = Pair::with_config(seed, a.clone(), b.clone(), cfg.clone(), cfg);
    install_ticket_keys(&mut p, 86_400);
    let mut s = Secrets::default();
    s.add("PSK", PSK);
    let ring = ring_copy();
    let ring_file = ring.to_bytes();
    // Key file: magic(4) ver(1) rotation(8) count(1) | id(8) created(8) key(32).
    s.add("ticket key", &ring_file.expose()[30..62]);
    let mut debug = Vec::new();
    // Strings that do contain secrets: the scanner must flag each (it can fail).
    let mut controls = Vec::new();

    // Setup, Child SA rekey, IKE SA rekey, ticket renewal.
    p.a.ep.initiate(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));
    assert!(p.established(true) && p.established(false));
    p.a.ep.rekey_children(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));
    p.a.ep.rekey_ike(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));
    p.b.ep.rekey_children(p.now, "gw").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));
    p.a.ep.request_ticket(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));

    // Suspend: SK_d and the ticket (and, through the ring, its plaintext).
    let session = p.a.ep.suspend(p.now, "home").unwrap();
    debug.push(format!("{session:?}"));
    s.add("suspended SK_d", session.sk_d.expose());
    // The ticket's 24-octet header (version, key id, nonce) is public metadata — the ring's
    // `Debug` prints key ids on purpose —; the sealed body is what must stay out of logs.
    s.add(
        "ticket body",
        &session.ticket[ike_proto::ticket::TICKET_HEADER_LEN..],
    );
    let plain = ring
        .open(&session.ticket, 1_790_000_000 + 60)
        .expect("the ring copy opens the gateway's ticket");
    let state = ResumptionState::decode(plain.expose()).unwrap();
    debug.push(format!("{state:?}"));
    s.add("ticket SK_d", state.sk_d.expose());
    s.add("ticket id", &state.ticket_id);
    s.add("ticket policy hash", &state.policy_hash);
    // The rest of the plaintext (connection, identities, suite, times, the old SPIs) is logged
    // legitimately, so only its secret fields above are needles.
    let session_file = session.encode();
    drive(&mut p, &mut s, Duration::from_millis(100));

    // Resume, then DPD, a rekey of the resumed SA and a delete.
    p.a.ep.resume(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));
    assert!(p.a.ep.list().iter().any(|sa| sa.resumed), "resumed");
    p.a.ep.rekey_children(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(30));
    for sa in p.a.ep.list().iter().chain(p.b.ep.list().iter()) {
        debug.push(format!("{sa:?}"));
        for spi in [sa.spi_i, sa.spi_r] {
            for n in [&p.a, &p.b] {
                if let Some(k) = n.ep.key_export(&spi) {
                    debug.push(format!("{k:?}"));
                    controls.push(k.wireshark_line());
                }
            }
        }
    }
    // Error paths log too: corrupted datagrams during a rekey (integrity failures), a replayed
    // IKE_SESSION_RESUME (used ticket), a truncated one, and garbage.
    p.faults.corrupt = 0.3;
    p.a.ep.rekey_children(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(60));
    p.faults.corrupt = 0.0;
    let resume_req = p.raw_of(true, ike_wire::ExchangeType::IkeSessionResume);
    assert!(!resume_req.is_empty());
    p.inject(false, &resume_req[0]);
    p.inject(false, &resume_req[0][..resume_req[0].len() - 9]);
    p.inject(false, &[0x55; 40]);
    drive(&mut p, &mut s, Duration::from_secs(5));
    p.a.ep.terminate(p.now, "home").unwrap();
    drive(&mut p, &mut s, Duration::from_secs(5));

    s.harvest_child_keys(&p.a, "a");
    s.harvest_child_keys(&p.b, "b");
    for e in p.a.events.iter().chain(&p.b.events) {
        debug.push(format!("{e:?}"));
        if let Event::ChildUp { keys, .. } = e {
            debug.push(format!("{keys:?}"));
        }
    }
    debug.push(format!("{:?}", p.b.ep.ticket_keys()));
    debug.push(format!("{ring:?}"));
    debug.push(format!("{a:?}"));
    debug.push(format!("{b:?}"));
    drop(guard);

    let log = capture.0.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&log);
    // The capture works and is verbose: engine messages at DEBUG/INFO are there.
    assert!(
        text.contains("IKE SA suspended"),
        "capture is empty?\n{text}"
    );
    assert!(
        text.contains("DEBUG") || text.contains("TRACE"),
        "not verbose"
    );

    if std::env::var_os("HYGIENE_DUMP").is_some() {
        eprintln!("{text}");
    }
    let needles = s.needles();
    let kinds: Vec<&str> = s.0.iter().map(|(l, _)| l.as_str()).collect();
    // Keys are deduplicated by value (both sides derive the same ones): three IKE SAs (setup,
    // IKE rekey, resume) and five Child SAs (setup, two rekeys, resume, rekey after it).
    assert!(
        kinds.iter().filter(|l| l.contains("SK_ei")).count() >= 3,
        "too few IKE keys harvested: {kinds:?}"
    );
    assert!(
        kinds.iter().filter(|l| l.contains("child encr")).count() >= 10,
        "too few Child SA keys harvested: {kinds:?}"
    );

    // The scanner sees what it looks for: Wireshark lines (hex keys), a slice `Debug`, the
    // session file in hex and in raw form are all flagged.
    controls.push(format!("{:?}", plain.expose()));
    controls.push(hex::encode(session_file.expose()));
    assert!(controls.len() >= 4);
    for c in &controls {
        assert!(
            !leaks(c.as_bytes(), &needles).is_empty(),
            "scanner misses {c}"
        );
    }
    assert!(!leaks(session_file.expose(), &needles).is_empty());

    let in_log = leaks(&log, &needles);
    assert!(in_log.is_empty(), "secrets in the TRACE log: {in_log:?}");
    for d in &debug {
        let found = leaks(d.as_bytes(), &needles);
        assert!(found.is_empty(), "secrets in Debug output {d}: {found:?}");
    }
    eprintln!(
        "scanned {} bytes of log and {} Debug strings for {} secrets ({} needles): clean",
        log.len(),
        debug.len(),
        s.0.len(),
        needles.len()
    );
}

#[test]
fn no_secret_in_trace_logs_or_debug_with_aead_suite() {
    run_lifecycle_and_scan(suite_gcm(), 61);
}

#[test]
fn no_secret_in_trace_logs_or_debug_with_cbc_hmac_suite() {
    run_lifecycle_and_scan(suite_cbc(), 62);
}
