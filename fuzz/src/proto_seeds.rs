//! Seeds for the engine-level targets (`endpoint_responder`, `ticket_open`, `session_decode`)
//! and the daemon's `config_parse`, recorded from real exchanges.
//!
//! A real `ike_proto` client talks to the deterministic fixture responder of
//! [`crate::responder`]; every datagram the client sends is recorded with the time step the
//! target replays it at, so a fresh fixture responder fed the recording walks the same path
//! (see that module for why this works with real crypto). The ticket and the suspended session
//! come from the same run: the ticket was sealed by [`crate::responder::ticket_ring`], so the
//! `ticket_open` target's ring opens it.

use std::time::Instant;

use ike_proto::Endpoint;
use ike_proto::suspend::SuspendedSession;

use crate::responder::{
    self, STEP, UNIX, addrs, client_conn, join_datagrams, responder as fixture, ticket_ring,
};

const CLIENT_SEED: [u8; 32] = [0x17; 32];

/// A client and a fixture responder on a shared virtual clock, recording what the client sends.
struct Run {
    now: Instant,
    gw: Endpoint,
    client: Endpoint,
    /// Datagrams the client sent to `gw`, as (NAT-T port?, UDP payload).
    sent: Vec<(bool, Vec<u8>)>,
    /// Deliver the gateway's answers to the client?
    answer: bool,
}

impl Run {
    /// A fresh fixture gateway and a fresh client created at `start`.
    fn new(start: Instant) -> Run {
        let mut client = Endpoint::new(Default::default(), CLIENT_SEED, start, UNIX);
        if let Err(e) = client.set_connections(vec![client_conn()]) {
            panic!("seed client connection: {e}");
        }
        Run::with_client(start, client)
    }

    /// A fresh fixture gateway (created at `start`, as the target creates its own) facing an
    /// existing client.
    fn with_client(start: Instant, client: Endpoint) -> Run {
        Run {
            now: start,
            gw: fixture(start),
            client,
            sent: Vec::new(),
            answer: true,
        }
    }

    /// Exchange datagrams until both sides are quiet. Each client datagram reaches the gateway
    /// one [`STEP`] after the previous one, exactly as the target replays them.
    fn pump(&mut self) {
        for _ in 0..64 {
            let Some(t) = self.client.poll_transmit() else {
                break;
            };
            self.now += STEP;
            let natt = t.remote.port() == 4500;
            let (local, remote) = addrs(natt);
            self.gw.handle(self.now, local, remote, &t.contents);
            self.sent.push((natt, t.contents));
            while let Some(r) = self.gw.poll_transmit() {
                if self.answer {
                    self.client.handle(self.now, r.remote, r.local, &r.contents);
                }
            }
        }
        while self.client.poll_event().is_some() {}
        while self.gw.poll_event().is_some() {}
    }

    fn established(&self) -> bool {
        self.gw
            .list()
            .iter()
            .any(|s| s.state == ike_proto::SaState::Established)
    }

    fn seed(&self) -> Vec<u8> {
        join_datagrams(&self.sent)
    }
}

fn ok<T, E: core::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("seed generation, {what}: {e}"))
}

/// Everything the proto-level targets are seeded with, built from one set of runs.
pub struct ProtoSeeds {
    /// `endpoint_responder` inputs.
    pub responder: Vec<(String, Vec<u8>)>,
    /// A suspended session of the fixture client (ticket sealed by the fixture ring).
    pub session: SuspendedSession,
}

/// Record the exchanges (see the module documentation).
pub fn record() -> ProtoSeeds {
    let mut out = Vec::new();
    let start = Instant::now();

    // A full handshake, then every exchange a client may start on an established SA.
    let mut run = Run::new(start);
    ok(run.client.initiate(run.now, "home"), "initiate");
    run.pump();
    assert!(run.established(), "seed handshake did not establish");
    out.push(("ike_sa_init".to_string(), join_datagrams(&run.sent[..1])));
    out.push(("handshake".to_string(), run.seed()));
    ok(run.client.rekey_children(run.now, "home"), "rekey children");
    run.pump();
    ok(run.client.request_ticket(run.now, "home"), "request ticket");
    run.pump();
    ok(
        run.client.create_child(run.now, "home", "net"),
        "create child",
    );
    run.pump();
    ok(run.client.dpd(run.now, "home"), "dpd");
    run.pump();
    out.push(("handshake_then_exchanges".to_string(), run.seed()));
    ok(run.client.rekey_ike(run.now, "home"), "rekey IKE");
    run.pump();
    ok(run.client.terminate(run.now, "home"), "terminate");
    run.pump();
    out.push(("handshake_rekey_ike_delete".to_string(), run.seed()));

    // Suspend after a handshake with one fixture gateway, resume against a fresh one.
    let mut run = Run::new(start);
    ok(run.client.initiate(run.now, "home"), "initiate");
    run.pump();
    let session_bytes = ok(run.client.suspend(run.now, "home"), "suspend").encode();
    let session = ok(
        SuspendedSession::decode(session_bytes.expose()),
        "session decode",
    );
    // The second gateway is created now, as the target creates its responder at its own start.
    let mut resumed = Run::with_client(run.now, run.client);
    ok(resumed.client.resume(resumed.now, "home"), "resume");
    resumed.pump();
    assert!(resumed.established(), "seed resumption did not establish");
    assert!(resumed.gw.list().iter().any(|s| s.resumed));
    out.push((
        "ike_session_resume".to_string(),
        join_datagrams(&resumed.sent[..1]),
    ));
    out.push(("resume".to_string(), resumed.seed()));
    ok(resumed.client.rekey_children(resumed.now, "home"), "rekey");
    resumed.pump();
    ok(resumed.client.terminate(resumed.now, "home"), "terminate");
    resumed.pump();
    out.push(("resume_then_exchanges".to_string(), resumed.seed()));

    // Past the cookie threshold: half-open SAs nobody completes, then a COOKIE round trip.
    let mut run = Run::new(start);
    run.answer = false;
    for _ in 0..responder::COOKIE_THRESHOLD {
        ok(run.client.initiate(run.now, "home"), "initiate");
        run.pump();
    }
    run.answer = true;
    ok(run.client.initiate(run.now, "home"), "initiate");
    run.pump();
    assert!(run.gw.stats().cookies_sent > 0, "no cookie challenge");
    out.push(("cookie".to_string(), run.seed()));

    ProtoSeeds {
        responder: out,
        session,
    }
}

/// `ticket_open` inputs: `mode(1) ‖ bytes`, mode 0 = open a ticket, 1 = decode a plaintext,
/// 2 = seal a plaintext and open it again.
pub fn ticket_seeds(session: &SuspendedSession) -> Vec<(String, Vec<u8>)> {
    let plain = ticket_ring()
        .open(&session.ticket, UNIX)
        .unwrap_or_else(|| panic!("the fixture ring does not open the recorded ticket"));
    let with = |mode: u8, b: &[u8]| [&[mode][..], b].concat();
    vec![
        ("open_ticket".into(), with(0, &session.ticket)),
        ("decode_state".into(), with(1, plain.expose())),
        ("seal_state".into(), with(2, plain.expose())),
    ]
}

/// `session_decode` inputs: `mode(1) ‖ bytes`, mode 0 = the file as is, 1 = the file without
/// its MAC (the target appends the right one, so mutations get past the integrity check).
pub fn session_seeds(session: &SuspendedSession) -> Vec<(String, Vec<u8>)> {
    let file = session.encode();
    let file = file.expose();
    let body = &file[..file.len() - 16];
    let mut v6 = SuspendedSession::decode(file).unwrap_or_else(|e| panic!("session: {e}"));
    v6.peer = "[2001:db8::2]:4500"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    v6.local = Some("2001:db8::1".parse().unwrap_or_else(|e| panic!("{e}")));
    let v6 = v6.encode();
    let v6 = v6.expose();
    vec![
        ("session_file".into(), [&[0u8][..], file].concat()),
        ("session_body".into(), [&[1u8][..], body].concat()),
        (
            "session_body_v6".into(),
            [&[1u8][..], &v6[..v6.len() - 16]].concat(),
        ),
    ]
}

/// A gateway configuration in the shape the daemon's tests use (PSK, tickets, every section).
const GATEWAY_CONFIG: &str = r#"[daemon]
listen = ["127.0.0.1", "::1"]
port = 0
natt_port = 0
control_socket = "run/tessera.sock"
state_dir = "state"
log_level = "trace,ike_proto=debug"
retransmit_timeout = "500ms"
retransmit_tries = 3
ticket_key_rotation = "1d"

[connections.gw]
proposals = ["default"]
dpd_delay = "0"
[connections.gw.local]
auth = "psk"
id = "gw.test"
[connections.gw.remote]
auth = "psk"
[connections.gw.children.net]
local_ts = ["10.0.0.0/8", "2001:db8::/32"]
esp_proposals = ["chacha20poly1305-x25519", "aes256-sha512-modp2048"]
[connections.gw.resumption]
ticket_lifetime = "2h"
auth_form = "libreswan"

[secrets.psk.gw]
secret = "0x00112233445566778899aabbccddeeff"
"#;

/// `config_parse` inputs: the commented example of every key and a gateway configuration.
pub fn config_seeds() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "example".into(),
            tessera::config::EXAMPLE.as_bytes().to_vec(),
        ),
        ("gateway".into(), GATEWAY_CONFIG.as_bytes().to_vec()),
    ]
}
