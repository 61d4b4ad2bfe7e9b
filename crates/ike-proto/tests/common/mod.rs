//! Deterministic simulated network for protocol tests: two endpoints, a virtual clock that jumps
//! to the next wakeup, a seeded RNG, and knobs for latency, loss, duplication, reordering and
//! corruption. Every datagram delivered is recorded so tests can assert wire bytes.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg, SecretBytes};
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, Endpoint, EndpointConfig, EspProposal,
    Event, Identity, IkeProposal, ResumptionConfig, TsConfig,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub const A_IP: &str = "192.0.2.1";
pub const B_IP: &str = "192.0.2.2";
pub const PSK: &[u8] = b"correct horse battery staple 0123";

/// A datagram on the simulated wire.
#[derive(Debug, Clone)]
pub struct Packet {
    pub deliver_at: Instant,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// One side of the pair.
pub struct Node {
    pub ep: Endpoint,
    pub ip: std::net::IpAddr,
    pub events: Vec<Event>,
}

/// Fault knobs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub corrupt: f64,
}

pub struct Pair {
    pub a: Node,
    pub b: Node,
    pub now: Instant,
    pub start: Instant,
    pub latency: Duration,
    pub faults: Faults,
    /// Drop everything (a cut link) while true.
    pub cut: bool,
    rng: ChaCha20Rng,
    queue: Vec<Packet>,
    /// Every datagram sent, in order, with the sender's side (true = a).
    pub wire: Vec<(bool, Packet)>,
    /// Decrypted inner payloads of every protected message delivered: (sent by a?, exchange,
    /// message ID, is response, payloads).
    pub decrypted: Vec<(
        bool,
        ike_wire::ExchangeType,
        u32,
        bool,
        Vec<ike_wire::Payload>,
    )>,
    /// Drop the next N datagrams sent by side a / b (for targeted loss).
    pub drop_next_from_a: usize,
    pub drop_next_from_b: usize,
}

pub fn suite_gcm() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesGcm16_256],
        prf: vec![PrfAlg::HmacSha256],
        integ: vec![],
        dh: vec![DhAlg::Curve25519],
    }
}

pub fn suite_cbc() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesCbc128],
        prf: vec![PrfAlg::HmacSha256],
        integ: vec![IntegAlg::HmacSha256_128],
        dh: vec![DhAlg::Ecp256],
    }
}

pub fn child(name: &str) -> ChildConfig {
    ChildConfig {
        name: name.into(),
        mode: ChildMode::Tunnel,
        local_ts: vec![],
        remote_ts: vec![],
        esp_proposals: vec![EspProposal {
            encr: vec![EncrAlg::AesGcm16_128],
            integ: vec![],
            dh: vec![],
        }],
        rekey_time: Duration::from_secs(3600),
        life_time: Duration::from_secs(4000),
    }
}

pub fn psk_conn(
    name: &str,
    local_id: &str,
    remote_id: Option<&str>,
    remote: Option<&str>,
    proposals: Vec<IkeProposal>,
) -> ConnectionConfig {
    ConnectionConfig {
        name: name.into(),
        // An initiator knows its source address (the daemon resolves it from the routing table).
        local_addrs: if remote.is_some() {
            vec![A_IP.parse().unwrap()]
        } else {
            vec![]
        },
        remote_addr: remote.map(|r| r.parse().unwrap()),
        remote_port: 500,
        local_id: Identity::parse(local_id).unwrap(),
        remote_id: remote_id.map(|r| Identity::parse(r).unwrap()),
        local_auth: AuthConfig::Psk(Arc::new(SecretBytes::from_slice(PSK))),
        remote_auth: AuthConfig::Psk(Arc::new(SecretBytes::from_slice(PSK))),
        ike_proposals: proposals,
        children: vec![child("net")],
        rekey_time: Duration::ZERO,
        dpd_delay: Duration::ZERO,
        resumption: ResumptionConfig::default(),
        fragmentation: true,
    }
}

/// Client "home" on a (initiator) and gateway "gw" on b (responder), PSK, AES-GCM/x25519.
pub fn default_conns() -> (ConnectionConfig, ConnectionConfig) {
    (
        psk_conn(
            "home",
            "client.example",
            Some("gw.example"),
            Some(B_IP),
            vec![suite_gcm()],
        ),
        psk_conn("gw", "gw.example", None, None, vec![suite_gcm()]),
    )
}

pub fn test_endpoint_config() -> EndpointConfig {
    EndpointConfig {
        retransmit_timeout: Duration::from_millis(500),
        ..EndpointConfig::default()
    }
}

impl Pair {
    pub fn new(seed: u64, a_conn: ConnectionConfig, b_conn: ConnectionConfig) -> Pair {
        Pair::with_config(
            seed,
            a_conn,
            b_conn,
            test_endpoint_config(),
            test_endpoint_config(),
        )
    }

    pub fn with_config(
        seed: u64,
        a_conn: ConnectionConfig,
        b_conn: ConnectionConfig,
        a_cfg: EndpointConfig,
        b_cfg: EndpointConfig,
    ) -> Pair {
        Pair::with_config_at(seed, a_conn, b_conn, a_cfg, b_cfg, 1_790_000_000)
    }

    /// Like [`Pair::with_config`] with the wall clock starting at `unix` (certificate validity).
    pub fn with_config_at(
        seed: u64,
        a_conn: ConnectionConfig,
        b_conn: ConnectionConfig,
        a_cfg: EndpointConfig,
        b_cfg: EndpointConfig,
        unix: u64,
    ) -> Pair {
        let now = Instant::now();
        let mut seeds = ChaCha20Rng::seed_from_u64(seed);
        let mut s1 = [0u8; 32];
        let mut s2 = [0u8; 32];
        seeds.fill_bytes(&mut s1);
        seeds.fill_bytes(&mut s2);

        let mut a = Endpoint::new(a_cfg, s1, now, unix);
        a.set_connections(vec![a_conn]).unwrap();
        let mut b = Endpoint::new(b_cfg, s2, now, unix);
        b.set_connections(vec![b_conn]).unwrap();
        Pair {
            a: Node {
                ep: a,
                ip: A_IP.parse().unwrap(),
                events: Vec::new(),
            },
            b: Node {
                ep: b,
                ip: B_IP.parse().unwrap(),
                events: Vec::new(),
            },
            now,
            start: now,
            latency: Duration::from_millis(10),
            faults: Faults::default(),
            cut: false,
            rng: seeds,
            queue: Vec::new(),
            wire: Vec::new(),
            decrypted: Vec::new(),
            drop_next_from_a: 0,
            drop_next_from_b: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.rng.next_u32() as f64 / u32::MAX as f64) < p
    }

    fn collect(&mut self) {
        for side_a in [true, false] {
            loop {
                let node = if side_a { &mut self.a } else { &mut self.b };
                let Some(t) = node.ep.poll_transmit() else {
                    break;
                };
                let from_ip = if t.local.ip().is_unspecified() {
                    node.ip
                } else {
                    t.local.ip()
                };
                let from = SocketAddr::new(from_ip, t.local.port());
                let pkt = Packet {
                    deliver_at: self.now + self.latency,
                    from,
                    to: t.remote,
                    bytes: t.contents,
                };
                self.wire.push((side_a, pkt.clone()));
                let targeted = if side_a {
                    &mut self.drop_next_from_a
                } else {
                    &mut self.drop_next_from_b
                };
                if *targeted > 0 {
                    *targeted -= 1;
                    continue;
                }
                if self.cut || self.chance(self.faults.loss) {
                    continue;
                }
                let mut pkt = pkt;
                if self.chance(self.faults.reorder) {
                    pkt.deliver_at += self.latency * 3;
                }
                if self.chance(self.faults.corrupt) && !pkt.bytes.is_empty() {
                    let i = self.rng.next_u32() as usize % pkt.bytes.len();
                    pkt.bytes[i] ^= 1 << (self.rng.next_u32() % 8);
                }
                if self.chance(self.faults.duplicate) {
                    let mut d = pkt.clone();
                    d.deliver_at += self.latency;
                    self.queue.push(d);
                }
                self.queue.push(pkt);
            }
            let node = if side_a { &mut self.a } else { &mut self.b };
            while let Some(e) = node.ep.poll_event() {
                node.events.push(e);
            }
        }
    }

    /// Advance by one step: deliver the earliest datagram or fire the earliest timer.
    /// Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        self.step_until(None)
    }

    /// Like [`Pair::step`], but never moves the clock past `end`.
    pub fn step_until(&mut self, end: Option<Instant>) -> bool {
        self.collect();
        let next_pkt = self
            .queue
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| p.deliver_at)
            .map(|(i, p)| (i, p.deliver_at));
        let next_timer = [self.a.ep.poll_timeout(), self.b.ep.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let next = [next_pkt.map(|(_, at)| at), next_timer]
            .into_iter()
            .flatten()
            .min();
        if let (Some(end), Some(next)) = (end, next) {
            if next > end {
                self.now = self.now.max(end);
                return false;
            }
        }
        match (next_pkt, next_timer) {
            (Some((i, at)), t) if t.is_none_or(|t| at <= t) => {
                self.deliver(i, at);
            }
            (_, Some(t)) => {
                self.now = self.now.max(t);
                let now = self.now;
                self.a.ep.handle_timeout(now);
                self.b.ep.handle_timeout(now);
            }
            (Some((i, at)), None) => self.deliver(i, at),
            (None, None) => return false,
        }
        self.collect();
        true
    }

    fn deliver(&mut self, i: usize, at: Instant) {
        let p = self.queue.remove(i);
        self.now = self.now.max(at);
        // Everything not for b goes to a (a may change its address, e.g. to resume elsewhere).
        let to_a = p.to.ip() != self.b.ip;
        let node = if to_a { &mut self.a } else { &mut self.b };
        if let ike_proto::transmit::Datagram::Ike(b) = ike_proto::transmit::classify(&p.bytes) {
            if let (Some(inner), Ok(m)) = (node.ep.open_for_tests(b), ike_wire::Message::parse(b)) {
                let h = m.header;
                self.decrypted.push((
                    !to_a,
                    h.exchange_type,
                    h.message_id,
                    h.flags.is_response(),
                    inner,
                ));
            }
        }
        node.ep.handle(self.now, p.to, p.from, &p.bytes);
    }

    /// Deliver raw bytes now, as if sent by the other side (replays, forgeries).
    pub fn inject(&mut self, to_a: bool, bytes: &[u8]) {
        let (to, from) = if to_a {
            (
                SocketAddr::new(self.a.ip, 500),
                SocketAddr::new(self.b.ip, 500),
            )
        } else {
            (
                SocketAddr::new(self.b.ip, 500),
                SocketAddr::new(self.a.ip, 500),
            )
        };
        self.queue.push(Packet {
            deliver_at: self.now,
            from,
            to,
            bytes: bytes.to_vec(),
        });
    }

    /// Parsed messages of one exchange type sent by one side.
    pub fn sent_of(&self, a: bool, x: ike_wire::ExchangeType) -> Vec<ike_wire::Message> {
        self.sent_by(a)
            .into_iter()
            .filter(|m| m.header.exchange_type == x)
            .collect()
    }

    /// Raw IKE bytes (marker stripped) of every message of exchange `x` sent by one side.
    pub fn raw_of(&self, a: bool, x: ike_wire::ExchangeType) -> Vec<Vec<u8>> {
        self.wire
            .iter()
            .filter(|(s, _)| *s == a)
            .filter_map(|(_, p)| match ike_proto::transmit::classify(&p.bytes) {
                ike_proto::transmit::Datagram::Ike(b) => Some(b.to_vec()),
                _ => None,
            })
            .filter(|b| ike_wire::Message::parse(b).is_ok_and(|m| m.header.exchange_type == x))
            .collect()
    }

    /// Run until quiet or until `limit` of virtual time has passed.
    pub fn drive_for(&mut self, limit: Duration) {
        let end = self.now + limit;
        for _ in 0..100_000 {
            if !self.step_until(Some(end)) {
                return;
            }
        }
        panic!("simulation did not settle (livelock?)");
    }

    /// Run until both sides have an established SA (or panic after `limit`).
    pub fn drive_until_established(&mut self, limit: Duration) {
        let end = self.now + limit;
        for _ in 0..100_000 {
            if self.established(true) && self.established(false) {
                return;
            }
            if !self.step_until(Some(end)) {
                break;
            }
        }
        panic!(
            "not established: a events {:?}, b events {:?}",
            self.a.events.iter().map(short).collect::<Vec<_>>(),
            self.b.events.iter().map(short).collect::<Vec<_>>()
        );
    }

    pub fn established(&self, a: bool) -> bool {
        let n = if a { &self.a } else { &self.b };
        n.ep.list()
            .iter()
            .any(|s| s.state == ike_proto::SaState::Established)
    }

    /// Parsed IKE messages sent by one side (marker stripped).
    pub fn sent_by(&self, a: bool) -> Vec<ike_wire::Message> {
        self.wire
            .iter()
            .filter(|(s, _)| *s == a)
            .filter_map(|(_, p)| match ike_proto::transmit::classify(&p.bytes) {
                ike_proto::transmit::Datagram::Ike(b) => ike_wire::Message::parse(b).ok(),
                _ => None,
            })
            .collect()
    }
}

pub fn short(e: &Event) -> String {
    match e {
        Event::Established { connection, .. } => format!("Established({connection})"),
        Event::ChildUp { child, .. } => format!("ChildUp({child})"),
        Event::ChildDown { .. } => "ChildDown".into(),
        Event::Closed { reason, .. } => format!("Closed({reason})"),
        _ => "other".into(),
    }
}

pub fn ts(s: &str) -> TsConfig {
    TsConfig::parse(s).unwrap().unwrap()
}

/// Give the gateway (b) a ticket key ring created at the simulation's wall clock, rotated every
/// `rotation` seconds (a fixed seed, so runs stay reproducible).
pub fn install_ticket_keys(p: &mut Pair, rotation: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let ring = ike_proto::ticket::TicketKeyRing::generate(1_790_000_000, rotation, &mut rng);
    p.b.ep.set_ticket_keys(ring);
}

/// The fault mix of the reliability tests: 20% loss, 20% duplication, 20% reordering.
pub fn lossy() -> Faults {
    Faults {
        loss: 0.2,
        duplicate: 0.2,
        reorder: 0.2,
        corrupt: 0.0,
    }
}
