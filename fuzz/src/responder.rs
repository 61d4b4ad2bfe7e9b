//! A deterministic `ike_proto::Endpoint` responder for the `endpoint_responder` target, and the
//! datagram-sequence framing its inputs use.
//!
//! The engine is sans-IO and draws every random value (SPIs, nonces, DH private values, cookie
//! secret) from the seed it is given, so a responder built here with [`responder`] answers the
//! same datagrams with the same bytes every time. That is what lets the seed generator record a
//! real client's IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL requests against one fixture
//! responder and have them verify (real AEAD, real PSK AUTH) when the fuzz target replays them
//! against a fresh one: the fuzzer starts past admission and authentication, with no crypto
//! switched off.
//!
//! Input framing: a sequence of records `hdr(2, big-endian) ‖ bytes`, where the low 15 bits of
//! `hdr` are the length (cut short by the end of the input) and the top bit says the datagram
//! arrives on the NAT-T port (4500, where the non-ESP marker applies) instead of 500.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_crypto::{DhAlg, EncrAlg, PrfAlg, SecretBytes};
use ike_proto::ticket::TicketKeyRing;
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, Endpoint, EndpointConfig, EspProposal,
    Identity, IkeProposal, ResumptionConfig,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Wall clock of the fixture (Unix seconds) at its creation instant.
pub const UNIX: u64 = 1_790_000_000;
/// The responder's address.
pub const GW_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// The client's address.
pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The PSK both fixture connections use.
pub const PSK: &[u8] = b"fuzzing psk, not a secret 0123456789";
/// Half-open SAs above which the fixture demands cookies (small, so the fuzzer reaches it).
pub const COOKIE_THRESHOLD: usize = 4;
/// Hard half-open limit of the fixture.
pub const HALF_OPEN_LIMIT: usize = 8;
/// Virtual time between two datagrams of a sequence.
pub const STEP: Duration = Duration::from_millis(1);
/// Virtual time the target lets pass after the last datagram, firing every timer due (the
/// half-open timeout of the fixture is shorter).
pub const SETTLE: Duration = Duration::from_secs(60);
/// Seed of the responder's random generator.
const RESPONDER_SEED: [u8; 32] = [0x42; 32];
/// Seed of the ticket key ring's generator.
const RING_SEED: u64 = 0x5eed_7165_6b65_7473;

/// The fixed ticket key ring (one generation created at [`UNIX`], rotated daily).
pub fn ticket_ring() -> TicketKeyRing {
    TicketKeyRing::generate(UNIX, 86_400, &mut ChaCha20Rng::seed_from_u64(RING_SEED))
}

/// The only IKE proposal: AES-GCM-256, HMAC-SHA-256, X25519 (cheap DH keeps execs fast).
pub fn proposal() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesGcm16_256],
        prf: vec![PrfAlg::HmacSha256],
        integ: vec![],
        dh: vec![DhAlg::Curve25519],
    }
}

fn child() -> ChildConfig {
    ChildConfig {
        name: "net".into(),
        mode: ChildMode::Tunnel,
        local_ts: vec![],
        remote_ts: vec![],
        esp_proposals: vec![EspProposal {
            encr: vec![EncrAlg::AesGcm16_128],
            integ: vec![],
            dh: vec![DhAlg::Curve25519],
        }],
        rekey_time: Duration::ZERO,
        life_time: Duration::ZERO,
    }
}

fn conn(
    name: &str,
    local_id: &str,
    remote_id: Option<&str>,
    remote: Option<IpAddr>,
) -> ConnectionConfig {
    let psk = Arc::new(SecretBytes::from_slice(PSK));
    ConnectionConfig {
        name: name.into(),
        local_addrs: if remote.is_some() {
            vec![IpAddr::V4(CLIENT_IP)]
        } else {
            vec![]
        },
        remote_addr: remote,
        remote_port: 500,
        local_id: Identity::parse(local_id).unwrap_or_else(|e| panic!("fixture id: {e}")),
        remote_id: remote_id
            .map(|r| Identity::parse(r).unwrap_or_else(|e| panic!("fixture id: {e}"))),
        local_auth: AuthConfig::Psk(psk.clone()),
        remote_auth: AuthConfig::Psk(psk),
        ike_proposals: vec![proposal()],
        children: vec![child()],
        rekey_time: Duration::ZERO,
        dpd_delay: Duration::ZERO,
        resumption: ResumptionConfig::default(),
        fragmentation: true,
    }
}

/// The gateway connection "gw": PSK, any client, issues tickets.
pub fn gateway_conn() -> ConnectionConfig {
    conn("gw", "gw.example", None, None)
}

/// The client connection "home" the seed generator initiates with.
pub fn client_conn() -> ConnectionConfig {
    conn(
        "home",
        "client.example",
        Some("gw.example"),
        Some(IpAddr::V4(GW_IP)),
    )
}

/// Endpoint settings of the fixture responder: small cookie threshold and half-open limit,
/// a short half-open timeout.
pub fn responder_config() -> EndpointConfig {
    EndpointConfig {
        cookie_threshold: COOKIE_THRESHOLD,
        half_open_limit: HALF_OPEN_LIMIT,
        half_open_timeout: Duration::from_secs(10),
        used_ticket_capacity: 64,
        ..EndpointConfig::default()
    }
}

/// A fresh fixture responder created at `now` (= [`UNIX`]): connection "gw", ticket keys set.
pub fn responder(now: Instant) -> Endpoint {
    let mut ep = Endpoint::new(responder_config(), RESPONDER_SEED, now, UNIX);
    if let Err(e) = ep.set_connections(vec![gateway_conn()]) {
        panic!("fixture connection: {e}");
    }
    ep.set_ticket_keys(ticket_ring());
    ep
}

/// Local and remote address of a datagram for the responder (NAT-T port or not).
pub fn addrs(natt: bool) -> (SocketAddr, SocketAddr) {
    let port = if natt { 4500 } else { 500 };
    (
        SocketAddr::new(IpAddr::V4(GW_IP), port),
        SocketAddr::new(IpAddr::V4(CLIENT_IP), port),
    )
}

/// Split an input into `(natt, datagram)` records (see the module documentation).
pub fn split_datagrams(mut data: &[u8]) -> Vec<(bool, &[u8])> {
    let mut out = Vec::new();
    while let Some((hdr, rest)) = data.split_first_chunk::<2>() {
        let hdr = u16::from_be_bytes(*hdr);
        let len = usize::from(hdr & 0x7fff).min(rest.len());
        let (d, rest) = rest.split_at(len);
        out.push((hdr & 0x8000 != 0, d));
        data = rest;
    }
    out
}

/// Frame datagrams as [`split_datagrams`] reads them.
pub fn join_datagrams(datagrams: &[(bool, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (natt, d) in datagrams {
        let len = u16::try_from(d.len()).ok().filter(|l| *l <= 0x7fff);
        let Some(len) = len else {
            panic!("datagram of {} octets does not fit the framing", d.len());
        };
        out.extend_from_slice(&(len | if *natt { 0x8000 } else { 0 }).to_be_bytes());
        out.extend_from_slice(d);
    }
    out
}

/// Drain everything the endpoint produced (the fuzz target only checks it does not panic).
pub fn drain(ep: &mut Endpoint) -> usize {
    let mut n = 0;
    while ep.poll_transmit().is_some() {
        n += 1;
    }
    while ep.poll_event().is_some() {}
    n
}

/// Feed one input to a fresh fixture responder, checking the invariants after every datagram
/// and after the timers of [`SETTLE`] have fired. Returns the responder (for the corpus tests).
pub fn replay(data: &[u8]) -> Endpoint {
    let start = Instant::now();
    let mut ep = responder(start);
    let mut now = start;
    let datagrams = split_datagrams(data);
    for (i, (natt, d)) in datagrams.iter().enumerate() {
        now += STEP;
        let (local, remote) = addrs(*natt);
        ep.handle(now, local, remote, d);
        drain(&mut ep);
        assert!(
            ep.sa_count() <= i + 1,
            "{} IKE SAs after {} datagrams",
            ep.sa_count(),
            i + 1
        );
        assert!(
            ep.half_open_count() <= HALF_OPEN_LIMIT,
            "{} half-open SAs, limit {HALF_OPEN_LIMIT}",
            ep.half_open_count()
        );
        assert!(ep.used_tickets() <= responder_config().used_ticket_capacity);
    }
    let end = now + SETTLE;
    for _ in 0..256 {
        match ep.poll_timeout() {
            Some(t) if t <= end => {
                now = now.max(t);
                ep.handle_timeout(now);
                drain(&mut ep);
            }
            _ => break,
        }
    }
    assert_eq!(
        ep.half_open_count(),
        0,
        "half-open SAs outlive the half-open timeout"
    );
    assert!(ep.sa_count() <= datagrams.len());
    ep
}
