//! A hostile peer against a real `tessera daemon` gateway on 127.0.0.1 (issue 6, items 2–3).
//!
//! Cast: the gateway (PSK, ticket keys), a legitimate Tessera client daemon with an established
//! IKE SA (the "victim" SA), and an attacker — a plain `UdpSocket` in this test. The attacker's
//! material is real: an in-process `ike_proto` client runs every exchange against the gateway
//! first (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, IKE_SESSION_RESUME and its
//! IKE_AUTH, Delete), and everything it sent and received is then truncated, padded to
//! oversize, bit-flipped, replayed, re-addressed to the victim's SPIs with wrong message IDs,
//! sent as responses nobody asked for, plus forged INVALID_IKE_SPI / TICKET_NACK /
//! INFORMATIONAL notifies aimed at both daemons. Then a bounded flood of IKE_SA_INIT and of
//! IKE_SESSION_RESUME with garbage tickets, during which a fresh in-process client must still
//! complete a full handshake and a resumption.
//!
//! Throughout, the victim SA stays ESTABLISHED with the same SPIs on both daemons (`list
//! --json`) and still works afterwards (DPD and a ticket renewal succeed), and the gateway's
//! VmRSS stays bounded: a second, identical flood must not grow it like the first did.
//! Numbers (datagrams, flood rate, legitimate latency, memory) are printed with --nocapture.

#[path = "hostile/kit.rs"]
mod kit;
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ike_wire::{DeletePayload, ExchangeType, Message, NotifyType, Payload, ProtocolId};
use kit::*;
use support::process::wait_until;
use tessera::control::SaJson;

/// Flood size per kind (IKE_SA_INIT, IKE_SESSION_RESUME).
const FLOOD: usize = 20_000;
/// Paced flood rate (datagrams per second, both kinds together).
const FLOOD_RATE: f64 = 8_000.0;

// ---------------------------------------------------------------------------------------------
// Checks

/// The victim SA as each daemon lists it: ESTABLISHED, same SPIs as at the start.
#[track_caller]
fn assert_victim_up(gw: &Node, client: &Node, victim: &SaJson, when: &str) {
    let c = client.list();
    assert!(
        c.sas.iter().any(|s| s.spi_i == victim.spi_i
            && s.spi_r == victim.spi_r
            && s.state == "ESTABLISHED"),
        "{when}: the client lost its SA {}/{}: {:#?}\n--- client log\n{}",
        victim.spi_i,
        victim.spi_r,
        c.sas,
        tail(&client.log())
    );
    let g = gw.list();
    assert!(
        g.sas.iter().any(|s| s.spi_i == victim.spi_i
            && s.spi_r == victim.spi_r
            && s.state == "ESTABLISHED"),
        "{when}: the gateway lost the victim SA {}/{}\n--- gateway log\n{}",
        victim.spi_i,
        victim.spi_r,
        tail(&gw.log())
    );
}

// ---------------------------------------------------------------------------------------------
// The attacks

/// Every malformed, replayed, misaddressed and forged datagram, at `gw` (and the forged
/// notifies at `client` too). Returns the number of datagrams sent and the answers.
fn hostile_traffic(gw: &Node, client: &Node, victim: &SaJson, cap: &Captured) -> (usize, Answers) {
    let mut a = Attacker::new(Duration::from_micros(50));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (vi, vr) = (spi_hex(&victim.spi_i), spi_hex(&victim.spi_r));
    let targets = [gw.addr(), gw.natt_addr()];
    let all: Vec<&Vec<u8>> = cap.sent.iter().chain(&cap.received).collect();

    for msg in &all {
        let len = msg.len();
        for to in targets {
            // Truncated.
            for cut in [
                0,
                1,
                4,
                16,
                27,
                28,
                29,
                len / 2,
                len.saturating_sub(17),
                len - 1,
            ] {
                a.send(to, &msg[..cut.min(len)]);
            }
            // Oversized: trailing garbage, with the header length left alone and patched.
            let mut big = msg.to_vec();
            big.extend((0..(60_000 - len)).map(|i| i as u8));
            a.send(to, &big);
            let total = u32::try_from(big.len()).unwrap();
            big[24..28].copy_from_slice(&total.to_be_bytes());
            a.send(to, &big);
            // Replayed verbatim, three times.
            for _ in 0..3 {
                a.send(to, msg);
            }
        }
        // Bit-flipped: 1 to 4 random bit flips, 40 variants.
        for _ in 0..40 {
            let mut m = msg.to_vec();
            for _ in 0..=rng.below(4) {
                let i = rng.below(len);
                m[i] ^= 1 << rng.below(8);
            }
            a.send(gw.addr(), &m);
        }
        // Readdressed to the victim SA (wrong keys), with wrong and plausible message IDs,
        // as request and as a response nobody asked for.
        for mid in [0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 0x7fff_ffff, u32::MAX] {
            let m = set_mid(&set_spis(msg, vi, vr), mid);
            for (response, initiator) in [(false, true), (true, false), (true, true)] {
                a.send(gw.addr(), &set_response_flag(&m, response, initiator));
            }
            a.send(client.addr(), &set_response_flag(&m, true, false));
            a.send(client.addr(), &set_response_flag(&m, false, false));
        }
        // Unknown SPIs.
        let m = set_spis(msg, rng.bytes(), rng.bytes());
        a.send(gw.addr(), &m);
        a.send(gw.addr(), &set_spis(msg, vi, rng.bytes()));
        a.send(gw.addr(), &set_spis(msg, rng.bytes(), vr));
    }

    // Forged unprotected notifies and INFORMATIONALs with the victim's SPIs.
    let forged_delete = Payload::Delete(DeletePayload {
        protocol: ProtocolId::Ike,
        spi_size: 0,
        spis: vec![],
    });
    for mid in [0u32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, u32::MAX] {
        for (initiator, response) in [(true, false), (false, true), (false, false), (true, true)] {
            for to in [gw.addr(), client.addr(), gw.natt_addr(), client.natt_addr()] {
                for x in [
                    ExchangeType::Informational,
                    ExchangeType::IkeAuth,
                    ExchangeType::CreateChildSa,
                ] {
                    a.send(
                        to,
                        &plain(
                            vi,
                            vr,
                            x,
                            initiator,
                            response,
                            mid,
                            notify(NotifyType::InvalidIkeSpi),
                        ),
                    );
                    a.send(
                        to,
                        &plain(vi, vr, x, initiator, response, mid, forged_delete.clone()),
                    );
                    a.send(
                        to,
                        &plain(
                            vi,
                            vr,
                            x,
                            initiator,
                            response,
                            mid,
                            notify(NotifyType::AuthenticationFailed),
                        ),
                    );
                }
                // TICKET_NACK as an IKE_SESSION_RESUME response, with and without SPIr.
                for spi_r in [[0u8; 8], vr, rng.bytes()] {
                    a.send(
                        to,
                        &plain(
                            vi,
                            spi_r,
                            ExchangeType::IkeSessionResume,
                            false,
                            true,
                            mid,
                            notify(NotifyType::TicketNack),
                        ),
                    );
                }
                a.send(
                    to,
                    &plain(
                        vi,
                        [0; 8],
                        ExchangeType::IkeSaInit,
                        false,
                        true,
                        mid,
                        notify(NotifyType::InvalidKePayload),
                    ),
                );
            }
        }
    }
    a.drain_for(Duration::from_millis(500));
    (a.sent, a.answers)
}

/// Flood datagrams: `FLOOD` IKE_SA_INIT requests (the captured one with fresh SPIs) and
/// `FLOOD` IKE_SESSION_RESUME requests with garbage tickets, interleaved.
fn flood_messages(cap: &Captured, seed: u64) -> Vec<Vec<u8>> {
    let first = |x: ExchangeType| {
        cap.sent
            .iter()
            .find(|m| exchange_of(m) == Some((x, false)))
            .unwrap_or_else(|| panic!("no {x:?} request captured"))
            .clone()
    };
    let init = first(ExchangeType::IkeSaInit);
    let resume = Message::parse(&first(ExchangeType::IkeSessionResume)).expect("resume parses");
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(2 * FLOOD);
    for _ in 0..FLOOD {
        out.push(set_spis(&init, rng.bytes(), [0; 8]));
        let mut m = resume.clone();
        m.header.spi_i = rng.bytes();
        for p in &mut m.payloads {
            if let Payload::Notify(n) = p {
                if n.notify_type == NotifyType::TicketOpaque {
                    let len = n.data.len();
                    n.data = (0..len).map(|_| rng.next() as u8).collect();
                }
            }
        }
        out.push(m.emit());
    }
    out
}

/// What one flood did.
#[derive(Debug)]
struct FloodReport {
    sent: usize,
    secs: f64,
    answers: Answers,
}

/// Send `msgs` at [`FLOOD_RATE`] from another thread.
fn spawn_flood(to: SocketAddr, msgs: Vec<Vec<u8>>) -> std::thread::JoinHandle<FloodReport> {
    std::thread::spawn(move || {
        let mut a = Attacker::new(Duration::ZERO);
        let start = Instant::now();
        for (i, m) in msgs.iter().enumerate() {
            let due = start + Duration::from_secs_f64(i as f64 / FLOOD_RATE);
            if let Some(d) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(d);
            }
            let mut framed = vec![0u8; 4];
            framed.extend_from_slice(m);
            a.raw(to, &framed);
        }
        let secs = start.elapsed().as_secs_f64();
        a.drain_for(Duration::from_millis(500));
        FloodReport {
            sent: a.sent,
            secs,
            answers: a.answers,
        }
    })
}

/// While a flood runs: a fresh client's full handshake and resumption latencies, and whether
/// it had to answer a COOKIE challenge.
fn legit_during_flood(
    gw: SocketAddr,
    id: &str,
    flood: &std::thread::JoinHandle<FloodReport>,
) -> (Duration, Duration, bool) {
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !flood.is_finished(),
        "the flood ended before the legitimate client started"
    );
    let mut x = InProc::new(gw, id);
    let hs = x.handshake(Duration::from_secs(30));
    let rs = x.suspend_resume(Duration::from_secs(30));
    assert!(
        !flood.is_finished(),
        "the flood ended before the legitimate client finished"
    );
    let mut seen = Answers::default();
    for m in &x.cap.received {
        seen.count(m);
    }
    (hs, rs, seen.cookies > 0)
}

#[test]
fn hostile_peer_and_floods_leave_the_gateway_serving() {
    let mut gw = Node::start("gw", gateway_config);
    let gw_ports = gw.ports;
    let client = Node::start("client", |p| client_config(p, gw_ports));
    let out = client.cli_ok(&["initiate", "home", "--wait", "10"]);
    assert!(out.contains("established"), "{out}");
    let victim = client.list().sas.into_iter().next().expect("client SA");
    assert_victim_up(&gw, &client, &victim, "after setup");
    let rss_start = gw.rss_kib();

    // Real messages of every exchange, from an in-process client run against the gateway.
    let mut x = InProc::new(gw.addr(), "x.test");
    x.handshake(Duration::from_secs(10));
    let before = x.children_up();
    x.ep.rekey_children(Instant::now(), "x").unwrap();
    assert!(
        x.pump(Duration::from_secs(10), |c| c.children_up() > before),
        "child rekey"
    );
    x.ep.request_ticket(Instant::now(), "x").unwrap();
    x.ep.dpd(Instant::now(), "x").unwrap();
    x.pump(Duration::from_millis(500), |_| false);
    x.suspend_resume(Duration::from_secs(10));
    x.ep.terminate(Instant::now(), "x").unwrap();
    assert!(
        x.pump(Duration::from_secs(10), |c| c.ep.sa_count() == 0),
        "delete"
    );
    let cap = x.cap.clone();
    let kinds: std::collections::BTreeSet<String> = cap
        .sent
        .iter()
        .chain(&cap.received)
        .filter_map(|m| exchange_of(m))
        .map(|(x, r)| format!("{x:?}{}", if r { " response" } else { " request" }))
        .collect();
    for x in [
        "IKE_SA_INIT",
        "IKE_AUTH",
        "CREATE_CHILD_SA",
        "INFORMATIONAL",
        "IKE_SESSION_RESUME",
    ] {
        for r in ["request", "response"] {
            assert!(kinds.contains(&format!("{x} {r}")), "captured {kinds:?}");
        }
    }

    // Malformed, replayed, misaddressed and forged traffic.
    let t = Instant::now();
    let (n, hostile_answers) = hostile_traffic(&gw, &client, &victim, &cap);
    let hostile_secs = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(4)); // let at least one victim DPD run
    assert_victim_up(&gw, &client, &victim, "after the hostile traffic");
    let rss_hostile = gw.rss_kib();

    // Two identical floods, each with a legitimate client handshaking and resuming in the
    // middle of it. Bounded state means the second does not grow memory like the first.
    let mut floods = Vec::new();
    let mut rss = vec![rss_hostile];
    for (i, id) in [(1u64, "y.test"), (2, "z.test")] {
        let flood = spawn_flood(gw.addr(), flood_messages(&cap, i));
        let legit = legit_during_flood(gw.addr(), id, &flood);
        let report = flood.join().expect("flood thread");
        assert_victim_up(&gw, &client, &victim, &format!("after flood {i}"));
        // Cookies engaged: most IKE_SA_INITs got a stateless challenge, and every garbage
        // ticket a TICKET_NACK or nothing.
        assert!(
            report.answers.cookies > FLOOD / 2,
            "flood {i}: cookies did not engage: {report:?}"
        );
        assert!(
            report.answers.resume_cookies > FLOOD / 2,
            "flood {i}: cookies did not engage for IKE_SESSION_RESUME: {report:?}"
        );
        assert!(
            report.answers.inits + report.answers.nacks <= 2 * 1_000 + 100,
            "flood {i}: state or ticket work beyond the cookie threshold: {report:?}"
        );
        rss.push(gw.rss_kib());
        floods.push((report, legit));
    }

    // The victim SA still works end to end: a DPD and a ticket renewal complete.
    let old_ticket = client.list().sas[0].ticket_expires;
    std::thread::sleep(Duration::from_millis(1100));
    client.cli_ok(&["dpd", "home"]);
    client.cli_ok(&["request-ticket", "home"]);
    let renewed = wait_until("ticket renewed", Duration::from_secs(10), || {
        let sa = client.list().sas.into_iter().next();
        Ok(sa.filter(|s| s.ticket_expires > old_ticket).map(|_| ()))
    });
    assert!(renewed.is_ok(), "{renewed:?}\n{}", tail(&client.log()));
    assert_victim_up(&gw, &client, &victim, "at the end");

    let mib = |k: u64| k as f64 / 1024.0;
    eprintln!(
        "hostile: {n} malformed/replayed/forged datagrams in {hostile_secs:.1}s, answered: {hostile_answers:?}"
    );
    for (i, (r, (hs, rs, cookie))) in floods.iter().enumerate() {
        eprintln!(
            "flood {}: {} datagrams ({FLOOD} IKE_SA_INIT + {FLOOD} IKE_SESSION_RESUME with garbage tickets) \
             in {:.1}s = {:.0}/s; answers {:?}; legitimate client during it: full handshake {hs:?} \
             (COOKIE round trip: {cookie}), resumption {rs:?}",
            i + 1,
            r.sent,
            r.secs,
            r.sent as f64 / r.secs,
            r.answers
        );
    }
    eprintln!(
        "gateway VmRSS: start {:.1} MiB, after hostile traffic {:.1}, after flood 1 {:.1}, after flood 2 {:.1}",
        mib(rss_start),
        mib(rss[0]),
        mib(rss[1]),
        mib(rss[2]),
    );
    let rss_flood2 = rss[2];
    // Bounded: the second flood may not add more than half of what the first added, plus
    // allocator slack.
    let growth1 = rss[1].saturating_sub(rss[0]);
    let growth2 = rss[2].saturating_sub(rss[1]);
    assert!(
        growth2 <= growth1 / 2 + 8 * 1024,
        "VmRSS keeps growing: +{growth1} KiB in flood 1, +{growth2} KiB in flood 2"
    );
    assert!(
        rss_flood2 < rss_start + 256 * 1024,
        "VmRSS {rss_flood2} KiB after the floods (start {rss_start} KiB)"
    );
}
