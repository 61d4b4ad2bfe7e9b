//! The hostile-peer test's toolbox: the daemons under test, an in-process `ike_proto` client
//! over a real UDP socket (to capture real messages and to play the legitimate client during
//! floods), and the attacker's socket with message mutators and an answer classifier.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ike_crypto::{DhAlg, EncrAlg, PrfAlg, SecretBytes};
use ike_proto::transmit::{Datagram, classify};
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, Endpoint, EndpointConfig, EspProposal,
    Event, Identity, IkeProposal, ResumptionConfig, SaState, TsConfig,
};
use ike_wire::{ExchangeType, Flags, IkeHeader, Message, NotifyPayload, NotifyType, Payload};
use tessera::control::ListJson;

use crate::support::process::{Daemon, Output, run, wait_until};
use crate::support::{PortPair, free_udp_port_pair};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tessera");
pub(crate) const PSK: &str = "hostile-test-psk-0123456789abcdef";
pub(crate) const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

// ---------------------------------------------------------------------------------------------
// Daemons

/// A `tessera daemon --foreground` with a private directory.
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) ports: PortPair,
    pub(crate) daemon: Daemon,
}

impl Node {
    pub(crate) fn start(name: &str, config: impl FnOnce(PortPair) -> String) -> Node {
        let dir = tempfile::Builder::new()
            .prefix(&format!("tessera-hostile-{name}-"))
            .tempdir()
            .expect("temp dir");
        let ports = free_udp_port_pair().expect("free ports");
        let cfg = dir.path().join("tessera.toml");
        std::fs::write(&cfg, config(ports)).expect("config");
        let mut cmd = Command::new(BIN);
        cmd.args(["daemon", "--foreground", "--config"]).arg(&cfg);
        let daemon = Daemon::spawn(name, &mut cmd, &dir.path().join("daemon.log")).expect("spawn");
        let mut node = Node {
            name: name.into(),
            dir,
            ports,
            daemon,
        };
        let ready = wait_until(
            &format!("{name} control socket"),
            Duration::from_secs(10),
            || {
                if let Some(st) = node.daemon.exited()? {
                    panic!("{name} exited during startup ({st}):\n{}", node.log());
                }
                Ok(node.cli(&["list"]).status.success().then_some(()))
            },
        );
        if let Err(e) = ready {
            panic!("{e}\n{}", node.log());
        }
        node
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.path("daemon.log")).unwrap_or_default()
    }

    pub(crate) fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--socket")
            .arg(self.path("tessera.sock"));
        run(&mut cmd, Duration::from_secs(40)).expect("running the tessera CLI")
    }

    #[track_caller]
    pub(crate) fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{}: tessera {args:?} failed: {}\n--- log tail\n{}",
            self.name,
            out.combined(),
            tail(&self.log())
        );
        out.stdout
    }

    #[track_caller]
    pub(crate) fn list(&self) -> ListJson {
        let json = self.cli_ok(&["list", "--json"]);
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("list --json: {e}: {json}"))
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::new(LOOPBACK, self.ports.ike)
    }

    pub(crate) fn natt_addr(&self) -> SocketAddr {
        SocketAddr::new(LOOPBACK, self.ports.natt)
    }

    /// VmRSS of the daemon in KiB.
    pub(crate) fn rss_kib(&mut self) -> u64 {
        assert!(
            self.daemon.exited().expect("poll").is_none(),
            "{} died:\n{}",
            self.name,
            tail(&self.log())
        );
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.daemon.pid()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }
}

pub(crate) fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

pub(crate) fn daemon_section(ports: PortPair) -> String {
    format!(
        r#"[daemon]
listen = ["127.0.0.1"]
port = {}
natt_port = {}
control_socket = "tessera.sock"
state_dir = "state"
log_level = "info"
retransmit_timeout = "1s"
retransmit_tries = 5
"#,
        ports.ike, ports.natt
    )
}

pub(crate) fn gateway_config(ports: PortPair) -> String {
    format!(
        r#"{}
[connections.gw]
proposals = ["aes256gcm16-prfsha256-x25519"]
[connections.gw.local]
auth = "psk"
id = "gw.test"
[connections.gw.remote]
auth = "psk"
[connections.gw.children.net]
local_ts = ["10.2.0.0/16"]
remote_ts = ["10.1.0.0/16"]
esp_proposals = ["aes128gcm16"]
[connections.gw.resumption]
ticket_lifetime = "2h"

[secrets.psk.gw]
secret = "{PSK}"
"#,
        daemon_section(ports)
    )
}

/// The victim: a client daemon that also runs DPD every 3 s, so its SA is exercised (and
/// would die of desynchronised message IDs) while the attack goes on.
pub(crate) fn client_config(ports: PortPair, gw: PortPair) -> String {
    format!(
        r#"{}
[connections.home]
remote_addrs = ["127.0.0.1"]
remote_port = {}
proposals = ["aes256gcm16-prfsha256-x25519"]
dpd_delay = "3s"
[connections.home.local]
auth = "psk"
id = "client.test"
[connections.home.remote]
auth = "psk"
id = "gw.test"
[connections.home.children.net]
local_ts = ["10.1.0.0/16"]
remote_ts = ["10.2.0.0/16"]
esp_proposals = ["aes128gcm16"]

[secrets.psk.home]
secret = "{PSK}"
"#,
        daemon_section(ports),
        gw.ike
    )
}

// ---------------------------------------------------------------------------------------------
// An in-process ike_proto client over a real UDP socket

/// Datagrams an in-process client exchanged with the gateway (IKE bytes, marker stripped).
#[derive(Default, Clone)]
pub(crate) struct Captured {
    pub(crate) sent: Vec<Vec<u8>>,
    pub(crate) received: Vec<Vec<u8>>,
}

pub(crate) struct InProc {
    pub(crate) ep: Endpoint,
    pub(crate) sock: UdpSocket,
    pub(crate) local: SocketAddr,
    pub(crate) events: Vec<Event>,
    pub(crate) cap: Captured,
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

impl InProc {
    pub(crate) fn new(gw: SocketAddr, id: &str) -> InProc {
        let sock = UdpSocket::bind((LOOPBACK, 0)).expect("bind");
        let local = sock.local_addr().expect("local addr");
        let cfg = EndpointConfig {
            port: local.port(),
            natt_port: local.port(),
            retransmit_timeout: Duration::from_millis(500),
            retransmit_tries: 6,
            ..EndpointConfig::default()
        };
        let mut seed = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
        let mut ep = Endpoint::new(cfg, seed, Instant::now(), unix_now());
        let psk = Arc::new(SecretBytes::from_slice(PSK.as_bytes()));
        let ts = |s: &str| TsConfig::parse(s).unwrap().unwrap();
        ep.set_connections(vec![ConnectionConfig {
            name: "x".into(),
            local_addrs: vec![LOOPBACK],
            remote_addr: Some(LOOPBACK),
            remote_port: gw.port(),
            local_id: Identity::parse(id).unwrap(),
            remote_id: Some(Identity::parse("gw.test").unwrap()),
            local_auth: AuthConfig::Psk(psk.clone()),
            remote_auth: AuthConfig::Psk(psk),
            ike_proposals: vec![IkeProposal {
                encr: vec![EncrAlg::AesGcm16_256],
                prf: vec![PrfAlg::HmacSha256],
                integ: vec![],
                dh: vec![DhAlg::Curve25519],
            }],
            children: vec![ChildConfig {
                name: "net".into(),
                mode: ChildMode::Tunnel,
                local_ts: vec![ts("10.1.0.0/16")],
                remote_ts: vec![ts("10.2.0.0/16")],
                esp_proposals: vec![EspProposal {
                    encr: vec![EncrAlg::AesGcm16_128],
                    integ: vec![],
                    dh: vec![],
                }],
                rekey_time: Duration::ZERO,
                life_time: Duration::ZERO,
            }],
            rekey_time: Duration::ZERO,
            dpd_delay: Duration::ZERO,
            resumption: ResumptionConfig::default(),
            fragmentation: false,
        }])
        .expect("in-process connection");
        InProc {
            ep,
            sock,
            local,
            events: Vec::new(),
            cap: Captured::default(),
        }
    }

    /// Exchange datagrams until `done` holds (true) or `timeout` passes (false).
    pub(crate) fn pump(&mut self, timeout: Duration, done: impl Fn(&InProc) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; 65_536];
        loop {
            while let Some(t) = self.ep.poll_transmit() {
                let _ = self.sock.send_to(&t.contents, t.remote);
                if let Datagram::Ike(b) = classify(&t.contents) {
                    self.cap.sent.push(b.to_vec());
                }
            }
            while let Some(e) = self.ep.poll_event() {
                self.events.push(e);
            }
            if done(self) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let wait = self
                .ep
                .poll_timeout()
                .map_or(Duration::from_millis(20), |t| {
                    t.saturating_duration_since(now)
                })
                .clamp(Duration::from_millis(1), Duration::from_millis(20));
            self.sock.set_read_timeout(Some(wait)).expect("timeout");
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                if let Datagram::Ike(b) = classify(&buf[..n]) {
                    self.cap.received.push(b.to_vec());
                }
                self.ep.handle(Instant::now(), self.local, from, &buf[..n]);
            }
            if self.ep.poll_timeout().is_some_and(|t| t <= Instant::now()) {
                self.ep.handle_timeout(Instant::now());
            }
        }
    }

    pub(crate) fn established(&self) -> bool {
        self.ep
            .list()
            .iter()
            .any(|s| s.state == SaState::Established)
    }

    pub(crate) fn children_up(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::ChildUp { .. }))
            .count()
    }

    /// Full handshake; returns how long it took.
    pub(crate) fn handshake(&mut self, timeout: Duration) -> Duration {
        let t = Instant::now();
        self.ep.initiate(Instant::now(), "x").expect("initiate");
        assert!(
            self.pump(timeout, InProc::established),
            "in-process client: no IKE SA within {timeout:?}"
        );
        t.elapsed()
    }

    /// Suspend and resume with the ticket; returns how long the resumption took.
    pub(crate) fn suspend_resume(&mut self, timeout: Duration) -> Duration {
        self.ep
            .suspend(Instant::now(), "x")
            .expect("suspend (ticket held)");
        let t = Instant::now();
        self.ep.resume(Instant::now(), "x").expect("resume");
        assert!(
            self.pump(timeout, |c| c
                .ep
                .list()
                .iter()
                .any(|s| s.state == SaState::Established && s.resumed)),
            "in-process client: resumption did not complete within {timeout:?}: {:?}",
            self.ep.list()
        );
        t.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------
// The attacker's toolbox

/// A small deterministic generator (xorshift64*) for mutations; no cryptographic use.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for x in &mut b {
            *x = self.next() as u8;
        }
        b
    }
}

pub(crate) fn spi_hex(s: &str) -> [u8; 8] {
    assert_eq!(s.len(), 16, "SPI {s:?}");
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("SPI hex");
    }
    out
}

pub(crate) fn exchange_of(ike: &[u8]) -> Option<(ExchangeType, bool)> {
    Message::parse(ike)
        .ok()
        .map(|m| (m.header.exchange_type, m.header.flags.is_response()))
}

pub(crate) fn set_spis(ike: &[u8], spi_i: [u8; 8], spi_r: [u8; 8]) -> Vec<u8> {
    let mut v = ike.to_vec();
    if v.len() >= 16 {
        v[..8].copy_from_slice(&spi_i);
        v[8..16].copy_from_slice(&spi_r);
    }
    v
}

pub(crate) fn set_mid(ike: &[u8], mid: u32) -> Vec<u8> {
    let mut v = ike.to_vec();
    if v.len() >= 24 {
        v[20..24].copy_from_slice(&mid.to_be_bytes());
    }
    v
}

pub(crate) fn set_response_flag(ike: &[u8], response: bool, initiator: bool) -> Vec<u8> {
    let mut v = ike.to_vec();
    if v.len() >= 20 {
        v[19] = Flags::new(initiator, response).0;
    }
    v
}

/// An unprotected message of one payload.
pub(crate) fn plain(
    spi_i: [u8; 8],
    spi_r: [u8; 8],
    x: ExchangeType,
    initiator: bool,
    response: bool,
    mid: u32,
    p: Payload,
) -> Vec<u8> {
    Message {
        header: IkeHeader::new(spi_i, spi_r, x, Flags::new(initiator, response), mid),
        payloads: vec![p],
    }
    .emit()
}

pub(crate) fn notify(t: NotifyType) -> Payload {
    Payload::Notify(NotifyPayload::new(t, Vec::new()))
}

/// What the daemons answered the attacker.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Answers {
    /// IKE_SA_INIT responses carrying N(COOKIE): stateless challenges.
    pub(crate) cookies: usize,
    /// Other IKE_SA_INIT responses (half-open SAs created).
    pub(crate) inits: usize,
    /// IKE_SESSION_RESUME responses with N(TICKET_NACK).
    pub(crate) nacks: usize,
    /// IKE_SESSION_RESUME responses carrying N(COOKIE) (before any ticket is opened).
    pub(crate) resume_cookies: usize,
    /// Anything else.
    pub(crate) other: usize,
}

impl Answers {
    pub(crate) fn count(&mut self, datagram: &[u8]) {
        let Datagram::Ike(ike) = classify(datagram) else {
            self.other += 1;
            return;
        };
        let Ok(m) = Message::parse(ike) else {
            self.other += 1;
            return;
        };
        let has = |t: NotifyType| {
            m.payloads
                .iter()
                .any(|p| matches!(p, Payload::Notify(n) if n.notify_type == t))
        };
        match m.header.exchange_type {
            ExchangeType::IkeSaInit if has(NotifyType::Cookie) => self.cookies += 1,
            ExchangeType::IkeSaInit => self.inits += 1,
            ExchangeType::IkeSessionResume if has(NotifyType::TicketNack) => self.nacks += 1,
            ExchangeType::IkeSessionResume if has(NotifyType::Cookie) => self.resume_cookies += 1,
            _ => self.other += 1,
        }
    }
}

/// The attacker's socket, counting what it sends and what comes back.
pub(crate) struct Attacker {
    pub(crate) sock: UdpSocket,
    pub(crate) sent: usize,
    pub(crate) answers: Answers,
    /// Pause after each datagram (so the daemon, not the kernel's socket buffer, sees them).
    pub(crate) pace: Duration,
}

impl Attacker {
    pub(crate) fn new(pace: Duration) -> Attacker {
        let sock = UdpSocket::bind((LOOPBACK, 0)).expect("bind");
        sock.set_nonblocking(true).expect("nonblocking");
        Attacker {
            sock,
            sent: 0,
            answers: Answers::default(),
            pace,
        }
    }

    /// Collect the answers still in flight.
    pub(crate) fn drain_for(&mut self, d: Duration) {
        let end = Instant::now() + d;
        let mut buf = [0u8; 2048];
        while Instant::now() < end {
            match self.sock.recv_from(&mut buf) {
                Ok((n, _)) => self.answers.count(&buf[..n]),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    /// Send `ike` with the non-ESP marker (the framing of non-500 ports) and, every other
    /// call, also without it.
    pub(crate) fn send(&mut self, to: SocketAddr, ike: &[u8]) {
        let mut framed = vec![0u8; 4];
        framed.extend_from_slice(ike);
        self.raw(to, &framed);
        if self.sent % 4 == 1 {
            self.raw(to, ike);
        }
    }

    pub(crate) fn raw(&mut self, to: SocketAddr, bytes: &[u8]) {
        // A full socket buffer only means the daemon is behind; retry briefly, then count it
        // anyway (the datagram was offered).
        for _ in 0..100 {
            match self.sock.send_to(bytes, to) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(_) => break,
            }
        }
        self.sent += 1;
        if !self.pace.is_zero() {
            std::thread::sleep(self.pace);
        }
        // Drain (and count) whatever the daemons answer so our own buffer never fills.
        let mut buf = [0u8; 2048];
        while let Ok((n, _)) = self.sock.recv_from(&mut buf) {
            self.answers.count(&buf[..n]);
        }
    }
}
