//! Captured handshakes for the responder benches: one full IKE_SA_INIT + IKE_AUTH and one
//! IKE_SESSION_RESUME + IKE_AUTH, each against a gateway created fresh from a fixed seed.
//!
//! The engine is deterministic given its seed, clock and inputs, so a gateway made again with
//! [`Scenario::full_gateway`] / [`Scenario::resume_gateway`] answers the captured requests with
//! exactly the captured responses, and the captured IKE_AUTH requests (encrypted under keys
//! that depend on the gateway's nonce and DH value) still decrypt. Every iteration of a bench
//! therefore runs the complete, successful responder path, never a retransmission shortcut.

use std::time::Instant;

use ike_crypto::SecretBytes;
use ike_proto::ticket::TicketKeyRing;
use ike_proto::{Endpoint, Event, IkeProposal};
use ike_wire::ExchangeType;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::fixtures::{self, Auth, GW_CONN};
use crate::inproc::{self, CLIENT_IP, Captured, GW_IP};

/// Wall-clock time the scenario runs at (2026-09-21); tickets and certificates are valid then.
pub const UNIX: u64 = 1_790_000_000;
const CLIENT_SEED: [u8; 32] = [1; 32];
const GW_SEED: [u8; 32] = [2; 32];
const GW2_SEED: [u8; 32] = [3; 32];

/// A recorded full handshake and resumption, and what is needed to replay them.
pub struct Scenario {
    /// The engine clock of every endpoint in the scenario.
    pub now: Instant,
    auth: Auth,
    proposal: IkeProposal,
    ring: SecretBytes,
    /// Every datagram of the full handshake (IKE_SA_INIT, IKE_AUTH).
    pub full: Vec<Captured>,
    /// Every datagram of the resumption (IKE_SESSION_RESUME, IKE_AUTH).
    pub resume: Vec<Captured>,
    /// The client's suspended-session file as it was before resuming.
    pub session_file: Vec<u8>,
    /// The ticket as sent in IKE_SESSION_RESUME.
    pub ticket: Vec<u8>,
}

/// Why capturing failed (the engine did not complete a handshake).
#[derive(Debug)]
pub struct ScenarioError(pub String);

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

fn gateway(
    seed: [u8; 32],
    now: Instant,
    auth: &Auth,
    proposal: &IkeProposal,
    ring: &SecretBytes,
) -> Endpoint {
    let mut gw = Endpoint::new(
        fixtures::load_endpoint_config(500, 4500, 1_000_000),
        seed,
        now,
        UNIX,
    );
    gw.set_connections(vec![fixtures::gateway_conn(auth, proposal.clone())])
        .expect("valid gateway connection");
    gw.set_ticket_keys(TicketKeyRing::from_bytes(ring.expose()).expect("ring round-trips"));
    gw
}

fn done(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::ChildUp { .. }))
}

impl Scenario {
    /// Run a full handshake (client id [`fixtures::client_id`]`(0)`), suspend the client,
    /// and resume it against a second, fresh gateway sharing the ticket keys.
    pub fn capture(auth: Auth, proposal: IkeProposal) -> Result<Scenario, ScenarioError> {
        let now = Instant::now();
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let ring = TicketKeyRing::generate(UNIX - 60, 86_400, &mut rng).to_bytes();

        let mut client = Endpoint::new(
            fixtures::load_endpoint_config(500, 4500, 1000),
            CLIENT_SEED,
            now,
            UNIX,
        );
        let conn = fixtures::client_conn("c0", 0, &auth, proposal.clone(), CLIENT_IP, GW_IP, 500);
        client
            .set_connections(vec![conn])
            .map_err(|e| ScenarioError(e.to_string()))?;
        let mut gw = gateway(GW_SEED, now, &auth, &proposal, &ring);
        let (mut ce, mut ge) = (Vec::new(), Vec::new());
        let mut full = Vec::new();
        client
            .initiate(now, "c0")
            .map_err(|e| ScenarioError(e.to_string()))?;
        inproc::exchange(now, &mut client, &mut gw, Some(&mut full), &mut ce, &mut ge);
        if !done(&ce) || !done(&ge) {
            return Err(ScenarioError(format!(
                "full handshake did not complete: {ce:?} / {ge:?}"
            )));
        }
        let session = client
            .suspend(now, "c0")
            .map_err(|e| ScenarioError(e.to_string()))?;
        let session_file = session.encode().expose().to_vec();
        let ticket = session.ticket.clone();
        drop(gw);
        let mut gw2 = gateway(GW2_SEED, now, &auth, &proposal, &ring);
        let (mut ce, mut ge) = (Vec::new(), Vec::new());
        let mut resume = Vec::new();
        client
            .resume(now, "c0")
            .map_err(|e| ScenarioError(e.to_string()))?;
        inproc::exchange(
            now,
            &mut client,
            &mut gw2,
            Some(&mut resume),
            &mut ce,
            &mut ge,
        );
        if !done(&ce) || !done(&ge) {
            return Err(ScenarioError(format!(
                "resumption did not complete: {ce:?} / {ge:?}"
            )));
        }
        if resume.first().and_then(Captured::exchange) != Some(ExchangeType::IkeSessionResume) {
            return Err(ScenarioError(
                "resumption did not use IKE_SESSION_RESUME".into(),
            ));
        }
        Ok(Scenario {
            now,
            auth,
            proposal,
            ring,
            full,
            resume,
            session_file,
            ticket,
        })
    }

    /// A gateway in the state the full handshake found it in.
    pub fn full_gateway(&self) -> Endpoint {
        gateway(GW_SEED, self.now, &self.auth, &self.proposal, &self.ring)
    }

    /// A gateway in the state the resumption found it in.
    pub fn resume_gateway(&self) -> Endpoint {
        gateway(GW2_SEED, self.now, &self.auth, &self.proposal, &self.ring)
    }

    /// The client's requests of the full handshake, in order.
    pub fn full_requests(&self) -> Vec<&Captured> {
        self.full.iter().filter(|c| c.from_client).collect()
    }

    /// The client's requests of the resumption, in order.
    pub fn resume_requests(&self) -> Vec<&Captured> {
        self.resume.iter().filter(|c| c.from_client).collect()
    }

    /// Feed `requests` to `gw` and collect its answers (what one bench iteration does).
    pub fn replay(&self, gw: &mut Endpoint, requests: &[&Captured]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for r in requests {
            gw.handle(self.now, r.to, r.from, &r.bytes);
            while let Some(t) = gw.poll_transmit() {
                out.push(t.contents);
            }
        }
        out
    }

    /// Check that a fresh gateway answers exactly as captured (so a bench measures the real
    /// path). Returns a description of the first difference.
    pub fn verify_replay(&self) -> Result<(), ScenarioError> {
        for (name, gw, log) in [
            ("full", self.full_gateway(), &self.full),
            ("resume", self.resume_gateway(), &self.resume),
        ] {
            let mut gw = gw;
            let reqs: Vec<&Captured> = log.iter().filter(|c| c.from_client).collect();
            let want: Vec<Vec<u8>> = log
                .iter()
                .filter(|c| !c.from_client)
                .map(|c| c.bytes.clone())
                .collect();
            let got = self.replay(&mut gw, &reqs);
            // The first response (IKE_SA_INIT / IKE_SESSION_RESUME) is deterministic; the
            // IKE_AUTH response is too with a PSK, but not with ECDSA (randomised signatures).
            if got.len() != want.len() || got.first() != want.first() {
                return Err(ScenarioError(format!(
                    "{name}: replayed responses differ from the capture ({} vs {} datagrams)",
                    got.len(),
                    want.len()
                )));
            }
            let est = gw
                .list()
                .iter()
                .filter(|s| s.state == ike_proto::SaState::Established)
                .count();
            if est != 1 || gw.connections()[0].name != GW_CONN {
                return Err(ScenarioError(format!("{name}: replay did not establish")));
            }
        }
        Ok(())
    }
}
