//! Reliability under network faults, in the simulated network (issue 6, item 4).
//!
//! Every exchange a client runs — the handshake, Child SA and IKE SA rekeys, suspend/resume and
//! ticket renewal — completes with 20% loss, 20% duplication and 20% reordering, for many seeded
//! runs; a vanished peer is detected by DPD within `dpd_delay` plus the retransmission schedule;
//! retransmissions back off exponentially (RFC 7296 §2.1, §2.4).
//!
//! 1,000 seeded runs per scenario are always on (about 10 s together in a debug build: the
//! clock is virtual); a 10,000-run soak of each is `#[ignore]`d (`cargo test -p ike-proto
//! --test faults -- --ignored`). Seeds are disjoint per scenario and printed on failure.
//!
//! Retransmission tries are raised here: with 20% loss in both directions a round trip fails
//! 36% of the time, so 6 attempts (the default 5 retries) fail an exchange with probability
//! 0.36^6 ≈ 0.2% — several of 1,000 runs would lose their SA to the configured give-up, which
//! is correct behaviour, not a fault (checked: with 5 retries 3 of the 4 scenarios fail a run
//! within 1,000 seeds). The 1,000-run tests use 10 retries (1.3e-5 per exchange); the 10,000-run
//! soak 14 (2.2e-7): with 10 it lost one resume in 40,000 runs (seed 4005686: all six answers
//! to eleven IKE_SESSION_RESUME attempts dropped, p ≈ 0.2^6) and correctly fell back to a full
//! handshake — see `gateway_keeps_no_orphan_after_a_resume_falls_back`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ike_proto::{Endpoint, EndpointConfig, Event, SaError, SaInfo, SaState};
use ike_wire::ExchangeType;

/// Retransmission settings of a batch of runs, and the virtual time each phase may take (the
/// whole retransmission schedule plus a minute).
#[derive(Clone)]
struct Net {
    cfg: EndpointConfig,
    settle: Duration,
}

impl Net {
    fn with_tries(tries: u32) -> Net {
        let cfg = EndpointConfig {
            retransmit_tries: tries,
            ..test_endpoint_config()
        };
        let settle = give_up_after(&cfg) + Duration::from_secs(60);
        Net { cfg, settle }
    }
}

/// An established pair, set up (and driven until quiet) under [`lossy`] faults, the gateway
/// holding ticket keys. Child SAs never expire by themselves here, so long retransmission
/// schedules do not mix automatic rekeys into the scenario.
fn lossy_pair(seed: u64, net: &Net) -> Pair {
    let (mut a, mut b) = default_conns();
    for c in a.children.iter_mut().chain(b.children.iter_mut()) {
        c.rekey_time = Duration::ZERO;
        c.life_time = Duration::ZERO;
    }
    let mut p = Pair::with_config(seed, a, b, net.cfg.clone(), net.cfg.clone());
    install_ticket_keys(&mut p, 86_400);
    p.faults = lossy();
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(net.settle);
    p
}

/// Both sides hold exactly one IKE SA, established, with the same SPIs, and mirrored Child SAs.
fn assert_one_sa(p: &Pair, seed: u64, what: &str) -> (SaInfo, SaInfo) {
    let (la, lb) = (p.a.ep.list(), p.b.ep.list());
    assert!(
        la.len() == 1 && lb.len() == 1,
        "seed {seed}, {what}: a {la:#?} b {lb:#?}"
    );
    let (a, b) = (la[0].clone(), lb[0].clone());
    assert_eq!(a.state, SaState::Established, "seed {seed}, {what}");
    assert_eq!(b.state, SaState::Established, "seed {seed}, {what}");
    assert_eq!(
        (a.spi_i, a.spi_r),
        (b.spi_i, b.spi_r),
        "seed {seed}, {what}"
    );
    assert!(!a.children.is_empty(), "seed {seed}, {what}: no Child SA");
    assert_eq!(a.children.len(), b.children.len(), "seed {seed}, {what}");
    for c in &a.children {
        assert!(
            b.children
                .iter()
                .any(|d| d.spi_in == c.spi_out && d.spi_out == c.spi_in),
            "seed {seed}, {what}: child {:08x}/{:08x} not mirrored on b: {:?}",
            c.spi_in,
            c.spi_out,
            b.children
        );
    }
    (a, b)
}

fn child_spis(sa: &SaInfo) -> Vec<u32> {
    let mut v: Vec<u32> = sa.children.iter().map(|c| c.spi_in).collect();
    v.sort_unstable();
    v
}

fn handshake(seed: u64, net: &Net) {
    let p = lossy_pair(seed, net);
    let (a, _) = assert_one_sa(&p, seed, "handshake");
    assert_eq!(a.children.len(), 1, "seed {seed}");
    assert!(a.ticket_expires.is_some(), "seed {seed}: no ticket");
}

fn rekeys(seed: u64, net: &Net) {
    let mut p = lossy_pair(seed, net);
    let (a0, _) = assert_one_sa(&p, seed, "before rekeys");
    p.a.ep.rekey_children(p.now, "home").unwrap();
    p.drive_for(net.settle);
    let (a1, _) = assert_one_sa(&p, seed, "after Child SA rekey");
    assert_eq!(a1.spi_i, a0.spi_i, "seed {seed}: IKE SA unchanged");
    let (old, new) = (child_spis(&a0), child_spis(&a1));
    assert_eq!(new.len(), 1, "seed {seed}: the old Child SA is deleted");
    assert!(
        old.iter().all(|s| !new.contains(s)),
        "seed {seed}: not rekeyed"
    );

    p.a.ep.rekey_ike(p.now, "home").unwrap();
    p.drive_for(net.settle);
    let (a2, _) = assert_one_sa(&p, seed, "after IKE SA rekey");
    assert_ne!(a2.spi_i, a1.spi_i, "seed {seed}: IKE SA not rekeyed");
    assert_eq!(
        child_spis(&a2),
        new,
        "seed {seed}: children move to the new IKE SA"
    );
}

fn suspend_resume(seed: u64, net: &Net) {
    let mut p = lossy_pair(seed, net);
    let (a0, _) = assert_one_sa(&p, seed, "before suspend");
    p.a.ep.suspend(p.now, "home").unwrap();
    p.drive_for(Duration::from_millis(100));
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_for(net.settle);
    let (a1, b1) = assert_one_sa(&p, seed, "after resume");
    assert!(a1.resumed && b1.resumed, "seed {seed}: not resumed: {a1:?}");
    assert_ne!(a1.spi_i, a0.spi_i, "seed {seed}: new SPIs");
    assert!(
        !p.a.events
            .iter()
            .any(|e| matches!(e, Event::Closed { reason, .. } if *reason != SaError::Resumed && *reason != SaError::LocalClose)),
        "seed {seed}: an SA failed: {:?}",
        p.a.events.iter().map(short).collect::<Vec<_>>()
    );
}

fn ticket_renewal(seed: u64, net: &Net) {
    let mut p = lossy_pair(seed, net);
    let (a0, _) = assert_one_sa(&p, seed, "before renewal");
    let first = a0.ticket_expires.expect("ticket from IKE_AUTH");
    // Let the wall clock move so the new ticket's expiry is distinguishable.
    p.drive_for(Duration::from_secs(10));
    p.a.ep.request_ticket(p.now, "home").unwrap();
    p.drive_for(net.settle);
    let (a1, _) = assert_one_sa(&p, seed, "after renewal");
    let renewed = a1.ticket_expires.expect("ticket kept");
    assert!(
        renewed > first,
        "seed {seed}: ticket not renewed ({first} → {renewed})"
    );
    // The renewed ticket works.
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_for(net.settle);
    let (a2, _) = assert_one_sa(&p, seed, "resume with the renewed ticket");
    assert!(a2.resumed, "seed {seed}");
}

fn run(name: &str, base: u64, runs: u64, tries: u32, scenario: fn(u64, &Net)) {
    let t = Instant::now();
    let net = Net::with_tries(tries);
    for seed in base..base + runs {
        scenario(seed, &net);
    }
    eprintln!(
        "{name}: {runs} seeded runs under 20% loss/dup/reorder passed in {:.1?}",
        t.elapsed()
    );
}

#[test]
fn handshake_completes_under_loss_duplication_reordering_1000_runs() {
    run("handshake", 0, 1000, 10, handshake);
}

#[test]
fn rekeys_complete_under_loss_duplication_reordering_1000_runs() {
    run("child+IKE rekey", 100_000, 1000, 10, rekeys);
}

#[test]
fn suspend_resume_completes_under_loss_duplication_reordering_1000_runs() {
    run("suspend/resume", 200_000, 1000, 10, suspend_resume);
}

#[test]
fn ticket_renewal_completes_under_loss_duplication_reordering_1000_runs() {
    run("ticket renewal", 300_000, 1000, 10, ticket_renewal);
}

#[test]
#[ignore = "soak: 4 × 10,000 runs, ~1.5 minutes in debug; cargo test -p ike-proto --test faults -- --ignored"]
fn every_scenario_completes_under_loss_duplication_reordering_10000_runs() {
    run("handshake", 1_000_000, 10_000, 14, handshake);
    run("child+IKE rekey", 2_000_000, 10_000, 14, rekeys);
    run("suspend/resume", 3_000_000, 10_000, 14, suspend_resume);
    run("ticket renewal", 4_000_000, 10_000, 14, ticket_renewal);
}

/// Total time from the first transmission of a request until the sender gives up:
/// `timeout × (1 + base + … + base^tries)` (the last wait ends in the give-up).
fn give_up_after(cfg: &EndpointConfig) -> Duration {
    let t = cfg.retransmit_timeout.as_secs_f64();
    let total: f64 = (0..=cfg.retransmit_tries)
        .map(|k| t * cfg.retransmit_base.powi(k as i32))
        .sum();
    Duration::from_secs_f64(total)
}

/// Send times (the simulated wire stamps delivery = send + latency) of every datagram `a` sent
/// of exchange `x` at or after `since`.
fn send_times(p: &Pair, x: ExchangeType, since: Instant) -> Vec<Instant> {
    p.wire
        .iter()
        .filter(|(from_a, pkt)| *from_a && pkt.deliver_at - p.latency >= since)
        .filter(|(_, pkt)| match ike_proto::transmit::classify(&pkt.bytes) {
            ike_proto::transmit::Datagram::Ike(b) => {
                ike_wire::Message::parse(b).is_ok_and(|m| m.header.exchange_type == x)
            }
            _ => false,
        })
        .map(|(_, pkt)| pkt.deliver_at - p.latency)
        .collect()
}

/// Step until `a` reports its SA closed; the instant and reason.
fn step_until_a_closes(p: &mut Pair, limit: Duration) -> (Instant, SaError) {
    let end = p.now + limit;
    while p.step_until(Some(end)) {
        if let Some(reason) = p.a.events.iter().find_map(|e| match e {
            Event::Closed { reason, .. } => Some(reason.clone()),
            _ => None,
        }) {
            return (p.now, reason);
        }
    }
    panic!("a never closed its SA within {limit:?}");
}

/// Intervals between consecutive sends are `timeout × base^k`, k = 0, 1, … (to 1 ms).
fn assert_exponential(times: &[Instant], cfg: &EndpointConfig) {
    assert_eq!(
        times.len(),
        cfg.retransmit_tries as usize + 1,
        "one transmission plus {} retransmissions: {times:?}",
        cfg.retransmit_tries
    );
    for (k, w) in times.windows(2).enumerate() {
        let got = w[1] - w[0];
        let want = cfg
            .retransmit_timeout
            .mul_f64(cfg.retransmit_base.powi(k as i32));
        let diff = got.abs_diff(want);
        assert!(
            diff <= Duration::from_millis(1),
            "interval {k}: {got:?}, expected {want:?} (timeout × {}^{k})",
            cfg.retransmit_base
        );
    }
}

#[test]
fn dpd_detects_a_vanished_peer_within_dpd_delay_plus_the_retransmission_schedule() {
    let dpd = Duration::from_secs(30);
    let (mut a, b) = default_conns();
    a.dpd_delay = dpd;
    let mut p = Pair::new(7, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    p.drive_for(Duration::from_secs(1));
    // The gateway vanishes (cable cut: nothing arrives anywhere any more).
    p.cut = true;
    let cut_at = p.now;
    let (dead_at, reason) = step_until_a_closes(&mut p, Duration::from_secs(600));
    assert_eq!(reason, SaError::DeadPeer);
    let cfg = test_endpoint_config();
    let bound = dpd + give_up_after(&cfg);
    let took = dead_at - cut_at;
    assert!(
        took <= bound,
        "detected after {took:?}, bound dpd_delay + schedule = {bound:?}"
    );
    // Not before the last retransmission has had its full timeout.
    assert!(took >= give_up_after(&cfg), "gave up early: {took:?}");
    // The DPD request and its retransmissions, at exponentially growing intervals.
    let times = send_times(&p, ExchangeType::Informational, cut_at);
    assert_exponential(&times, &cfg);
    assert!(times[0] - cut_at <= dpd, "first DPD within dpd_delay");
    let last_wait = dead_at - *times.last().unwrap();
    let want_last = cfg
        .retransmit_timeout
        .mul_f64(cfg.retransmit_base.powi(cfg.retransmit_tries as i32));
    assert!(
        last_wait.abs_diff(want_last) <= Duration::from_millis(1),
        "{last_wait:?} vs {want_last:?}"
    );
}

#[test]
fn ike_sa_init_retransmissions_back_off_exponentially_then_give_up() {
    for (timeout_ms, base, tries) in [(500, 1.8, 5), (1000, 2.0, 4)] {
        let (a, b) = default_conns();
        let cfg = EndpointConfig {
            retransmit_timeout: Duration::from_millis(timeout_ms),
            retransmit_base: base,
            retransmit_tries: tries,
            ..EndpointConfig::default()
        };
        let mut p = Pair::with_config(8, a, b, cfg.clone(), cfg.clone());
        p.cut = true;
        let start = p.now;
        p.a.ep.initiate(p.now, "home").unwrap();
        let (closed_at, reason) = step_until_a_closes(&mut p, Duration::from_secs(600));
        assert_eq!(reason, SaError::Timeout);
        let times = send_times(&p, ExchangeType::IkeSaInit, start);
        assert_exponential(&times, &cfg);
        let total = closed_at - start;
        assert!(
            total.abs_diff(give_up_after(&cfg)) <= Duration::from_millis(2),
            "gave up after {total:?}, schedule {:?}",
            give_up_after(&cfg)
        );
    }
}

#[test]
fn rekey_request_retransmissions_back_off_exponentially() {
    let (a, b) = default_conns();
    let mut p = Pair::new(9, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    p.drive_for(Duration::from_secs(1));
    p.cut = true;
    let since = p.now;
    p.a.ep.rekey_children(p.now, "home").unwrap();
    let (_, reason) = step_until_a_closes(&mut p, Duration::from_secs(600));
    assert_eq!(reason, SaError::Timeout);
    assert_exponential(
        &send_times(&p, ExchangeType::CreateChildSa, since),
        &test_endpoint_config(),
    );
}

/// Found by the soak (seed 4005686): when a resume fails and the client falls back to a full
/// handshake, the gateway keeps the suspended session's old IKE SA, although the client's
/// IKE_AUTH carries INITIAL_CONTACT (RFC 7296 §2.4: "this IKE SA is the only IKE SA currently
/// active between the authenticated identities"). The gateway used to ignore INITIAL_CONTACT, so
/// the orphan (and its Child SAs in the kernel) lived until DPD or its lifetime removed it; now
/// the older SA goes as soon as the new one is authenticated.
#[test]
fn gateway_keeps_no_orphan_after_a_resume_falls_back() {
    let (a, b) = default_conns();
    let mut p = Pair::new(11, a, b);
    install_ticket_keys(&mut p, 86_400);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    let old = p.b.ep.list()[0].spi_r;
    p.a.ep.suspend(p.now, "home").unwrap();
    // The gateway's ticket keys change (e.g. a new key file): the ticket is refused, the client
    // falls back to IKE_SA_INIT + IKE_AUTH with INITIAL_CONTACT.
    use rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(12);
    p.b.ep
        .set_ticket_keys(ike_proto::ticket::TicketKeyRing::generate(
            1_790_000_000,
            86_400,
            &mut rng,
        ));
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(30));
    let a_sa = p.a.ep.list();
    assert_eq!(a_sa.len(), 1);
    assert!(!a_sa[0].resumed, "fell back to a full handshake");
    let b_sas = p.b.ep.list();
    assert!(
        b_sas.iter().all(|s| s.spi_r != old),
        "the gateway still holds the old SA {} next to the new one: {} SAs",
        hex::encode(old),
        b_sas.len()
    );
}

/// A client behind a NAT, driven by hand: the NAT maps the client's 192.0.2.1:500 and :4500 to
/// 203.0.113.7:40500 and :44500, so the gateway detects NAT and the client floats to 4500 for
/// IKE_AUTH (RFC 7296 §2.23). Returns the client and the gateway, established.
fn nat_handshake(seed: u64) -> (Endpoint, Endpoint) {
    use std::net::SocketAddr;
    let (a_conn, b_conn) = default_conns();
    let now0 = Instant::now();
    let mut a = Endpoint::new(
        test_endpoint_config(),
        [seed as u8; 32],
        now0,
        1_790_000_000,
    );
    a.set_connections(vec![a_conn]).unwrap();
    let mut b = Endpoint::new(
        test_endpoint_config(),
        [!seed as u8; 32],
        now0,
        1_790_000_000,
    );
    b.set_connections(vec![b_conn]).unwrap();
    let public = |port: u16| -> SocketAddr {
        let p = if port == 500 { 40500 } else { 44500 };
        SocketAddr::new("203.0.113.7".parse().unwrap(), p)
    };
    let private = |p: SocketAddr| -> SocketAddr {
        let port = if p.port() == 40500 { 500 } else { 4500 };
        SocketAddr::new(A_IP.parse().unwrap(), port)
    };
    let mut now = now0;
    a.initiate(now, "home").unwrap();
    for _ in 0..100 {
        now += Duration::from_millis(5);
        let mut moved = false;
        while let Some(t) = a.poll_transmit() {
            b.handle(now, t.remote, public(t.local.port()), &t.contents);
            moved = true;
        }
        while let Some(t) = b.poll_transmit() {
            a.handle(now, private(t.remote), t.local, &t.contents);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    let est = |e: &Endpoint| e.list().iter().any(|s| s.state == SaState::Established);
    assert!(
        est(&a) && est(&b),
        "NAT handshake: a {:?} b {:?}",
        a.list(),
        b.list()
    );
    assert!(b.list()[0].nat_detected, "the gateway saw the NAT");
    assert_eq!(
        b.list()[0].remote.port(),
        44500,
        "the client floated to 4500"
    );
    (a, b)
}

/// Found by the `endpoint_responder` fuzz target (fuzz/regressions/endpoint_responder/): the
/// responder's half-open index is keyed by (SPIi, peer address) and is cleaned up with the
/// SA's *current* address; when the peer's address changes between IKE_SA_INIT and IKE_AUTH —
/// the ordinary NAT-T float from 500 to 4500 — the entry of an established SA is never
/// removed. Every NAT'd client leaks one: past `cookie_threshold` of them every newcomer needs
/// a cookie, past `half_open_limit` the gateway drops all IKE_SA_INIT and IKE_SESSION_RESUME
/// requests until it restarts.
#[test]
fn nat_t_float_leaves_no_half_open_entry() {
    let (_a, b) = nat_handshake(21);
    assert_eq!(
        b.half_open_count(),
        0,
        "half-open entry of an established SA"
    );
}

#[test]
fn nat_t_handshake_completes_through_the_hand_driven_nat() {
    let (a, b) = nat_handshake(22);
    assert_eq!(a.list()[0].spi_i, b.list()[0].spi_i);
}
