//! One IKE SA: its state, keys, message IDs, retransmission and Child SAs.
//!
//! Exchange logic lives in `crate::exchange`, one file per exchange; this module owns what every
//! exchange shares: the message layer (protect/unprotect), the request window (size 1),
//! retransmission with exponential backoff and the response cache.

pub(crate) mod message;
pub(crate) mod window;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ike_crypto::sk::SkKeys;
use ike_crypto::{DhAlg, EncrAlg, IkeSuite, IntegAlg, KeyExchange, PrfAlg, SecretBytes};
use rand_chacha::ChaCha20Rng;

use crate::config::{ChildMode, ConnectionConfig, EndpointConfig, Identity, TsConfig};
use crate::event::{ChildInfo, Event, SaInfo, SaState};
use crate::transmit::Transmit;

pub(crate) use window::RequestKind;

/// Everything an SA needs from its endpoint while handling one input.
pub(crate) struct Ctx<'a> {
    /// Current time.
    pub now: Instant,
    /// Wall-clock time (Unix seconds) at `now`, for certificate validity and tickets.
    pub unix: u64,
    /// The endpoint's RNG.
    pub rng: &'a mut ChaCha20Rng,
    /// Endpoint settings.
    pub cfg: &'a EndpointConfig,
    /// Every loaded connection (a responder picks its connection in IKE_AUTH).
    pub conns: &'a [Arc<ConnectionConfig>],
    /// New IKE SAs created while handling this input (IKE SA rekey); the endpoint adopts them.
    pub spawned: &'a mut Vec<IkeSa>,
    /// Datagrams to send.
    pub out: &'a mut VecDeque<Transmit>,
    /// Events for the driver.
    pub events: &'a mut VecDeque<Event>,
}

/// Where an SA is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Initiator: IKE_SA_INIT sent, waiting for the response.
    InitSent {
        /// Cookie to echo, after a COOKIE challenge.
        cookie: Option<Vec<u8>>,
        /// Our KE private value.
        ke: KeyExchange,
        /// INVALID_KE_PAYLOAD retries so far.
        ke_retries: u8,
    },
    /// Initiator: IKE_AUTH sent.
    AuthSent,
    /// Responder: IKE_SA_INIT answered, waiting for IKE_AUTH (half-open).
    InitReplied,
    /// Authenticated and usable.
    Established,
    /// Delete sent or received; gone once the exchange finishes.
    Deleting,
    /// Finished; the endpoint removes it.
    Closed,
}

/// The negotiated keys of an SA.
pub(crate) struct SaKeys {
    /// PRF of the SA.
    pub prf: PrfAlg,
    /// SK_d.
    pub sk_d: SecretBytes,
    /// SK_pi.
    pub sk_pi: SecretBytes,
    /// SK_pr.
    pub sk_pr: SecretBytes,
    /// Keys protecting what we send.
    pub out: SkKeys,
    /// Keys protecting what we receive.
    pub inb: SkKeys,
}

/// A Child SA (negotiated; the kernel backend holds the ESP keys).
#[derive(Debug, Clone)]
pub(crate) struct ChildSa {
    /// Template name.
    pub name: String,
    /// Our inbound SPI.
    pub spi_in: u32,
    /// Peer's inbound SPI (our outbound).
    pub spi_out: u32,
    /// ESP encryption.
    pub encr: EncrAlg,
    /// ESP integrity.
    pub integ: Option<IntegAlg>,
    /// Mode.
    pub mode: ChildMode,
    /// Local selectors.
    pub local_ts: Vec<TsConfig>,
    /// Remote selectors.
    pub remote_ts: Vec<TsConfig>,
    /// When to rekey it (soft lifetime); `None` once a rekey is under way or when disabled.
    pub rekey_at: Option<Instant>,
    /// When it expires (hard lifetime).
    pub expire_at: Instant,
}

impl ChildSa {
    /// A new Child SA from its template and the negotiated proposal.
    pub(crate) fn new(
        tmpl: &crate::config::ChildConfig,
        spi_in: u32,
        chosen: &crate::proposal::ChosenEsp,
        mode: ChildMode,
        local_ts: Vec<TsConfig>,
        remote_ts: Vec<TsConfig>,
        now: Instant,
    ) -> ChildSa {
        ChildSa {
            name: tmpl.name.clone(),
            spi_in,
            spi_out: chosen.peer_spi,
            encr: chosen.encr,
            integ: chosen.integ,
            mode,
            local_ts,
            remote_ts,
            rekey_at: (!tmpl.rekey_time.is_zero()).then(|| now + tmpl.rekey_time),
            expire_at: now + tmpl.life_time.max(tmpl.rekey_time),
        }
    }
}

/// One IKE SA.
pub(crate) struct IkeSa {
    /// The connection; for a responder this is provisional until IKE_AUTH names the peer.
    pub conn: Arc<ConnectionConfig>,
    /// Are we the original initiator?
    pub initiator: bool,
    /// Initiator SPI.
    pub spi_i: [u8; 8],
    /// Responder SPI (zero until known).
    pub spi_r: [u8; 8],
    /// Our address for this SA.
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Life-cycle phase.
    pub phase: Phase,
    /// Initiator nonce.
    pub ni: Vec<u8>,
    /// Responder nonce.
    pub nr: Vec<u8>,
    /// IKE_SA_INIT request bytes as sent (for AUTH).
    pub init_request: Vec<u8>,
    /// IKE_SA_INIT response bytes (for AUTH).
    pub init_response: Vec<u8>,
    /// Negotiated suite.
    pub suite: Option<IkeSuite>,
    /// Keys, once derived.
    pub keys: Option<SaKeys>,
    /// Authenticated peer identity.
    pub peer_id: Option<Identity>,
    /// NAT between us and the peer?
    pub nat_detected: bool,
    /// Hash algorithms from the peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427), if it sent any.
    pub peer_hashes: Option<Vec<ike_crypto::sig::HashAlgorithm>>,
    /// The request window (ours) and the response cache (theirs).
    pub window: window::Window,
    /// Exchanges we want to start when the window is free.
    pub queue: VecDeque<RequestKind>,
    /// Child SAs.
    pub children: Vec<ChildSa>,
    /// Created at.
    pub created: Instant,
    /// Established at.
    pub established_at: Option<Instant>,
    /// Last time we received an authenticated message (for DPD).
    pub last_inbound: Instant,
    /// Child SA being set up with IKE_AUTH (initiator): template index and our SPI.
    pub pending_child: Option<(usize, u32)>,
    /// Our CREATE_CHILD_SA request in flight.
    pub pending_create: Option<crate::exchange::create_child::PendingCreate>,
    /// When to rekey the IKE SA (soft lifetime).
    pub rekey_at: Option<Instant>,
    /// Replaced by a rekeyed SA; only waiting for the old SA's deletion.
    pub superseded: bool,
}

impl IkeSa {
    /// Our SPI: the demux key.
    pub(crate) fn local_spi(&self) -> [u8; 8] {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }

    /// Is the SA authenticated?
    pub(crate) fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Established | Phase::Deleting)
    }

    /// Is it finished?
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Is this a responder SA still waiting for IKE_AUTH?
    pub(crate) fn is_half_open(&self) -> bool {
        matches!(self.phase, Phase::InitReplied)
    }

    /// End the SA and report why.
    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>, reason: crate::SaError) {
        if self.is_closed() {
            return;
        }
        tracing::info!(
            spi_i = %hex8(&self.spi_i), spi_r = %hex8(&self.spi_r), conn = %self.conn.name,
            %reason, "IKE SA closed"
        );
        for c in self.children.drain(..) {
            ctx.events.push_back(Event::ChildDown {
                connection: self.conn.name.clone(),
                spi_in: c.spi_in,
            });
        }
        self.phase = Phase::Closed;
        let reason = if self.superseded {
            crate::SaError::Rekeyed
        } else {
            reason
        };
        ctx.events.push_back(Event::Closed {
            connection: if self.is_half_open() {
                String::new()
            } else {
                self.conn.name.clone()
            },
            local_spi: self.local_spi(),
            reason,
        });
    }

    /// When this SA next needs `handle_timeout`.
    pub(crate) fn next_timeout(&self, cfg: &EndpointConfig) -> Option<Instant> {
        let mut t = self.window.next_retransmit();
        if self.is_half_open() {
            t = min_opt(t, Some(self.created + cfg.half_open_timeout));
        }
        if let (Phase::Established, true) = (&self.phase, !self.conn.dpd_delay.is_zero()) {
            if self.window.is_idle() {
                t = min_opt(t, Some(self.last_inbound + self.conn.dpd_delay));
            }
        }
        if matches!(self.phase, Phase::Established) {
            t = min_opt(t, self.rekey_at);
            for c in &self.children {
                t = min_opt(t, min_opt(c.rekey_at, Some(c.expire_at)));
            }
        }
        if !self.queue.is_empty() && self.window.is_idle() && self.is_established() {
            t = min_opt(t, Some(self.created));
        }
        t
    }

    /// Status snapshot.
    pub(crate) fn info(&self) -> SaInfo {
        SaInfo {
            connection: self.conn.name.clone(),
            state: match self.phase {
                Phase::InitSent { .. } | Phase::InitReplied => SaState::Connecting,
                Phase::AuthSent => SaState::Authenticating,
                Phase::Established => SaState::Established,
                Phase::Deleting | Phase::Closed => SaState::Deleting,
            },
            initiator: self.initiator,
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            local: self.local,
            remote: self.remote,
            local_id: self.conn.local_id.display(),
            remote_id: self
                .peer_id
                .as_ref()
                .map(Identity::display)
                .unwrap_or_default(),
            proposal: self
                .suite
                .as_ref()
                .map(crate::proposal::ike_suite_name)
                .unwrap_or_default(),
            nat_detected: self.nat_detected,
            children: self
                .children
                .iter()
                .map(|c| ChildInfo {
                    name: c.name.clone(),
                    spi_in: c.spi_in,
                    spi_out: c.spi_out,
                    proposal: crate::proposal::esp_suite_name(c.encr, c.integ),
                    mode: c.mode,
                    local_ts: c.local_ts.iter().map(crate::ts::display).collect(),
                    remote_ts: c.remote_ts.iter().map(crate::ts::display).collect(),
                })
                .collect(),
        }
    }

    /// The DH group an initiator guesses first.
    pub(crate) fn first_dh(conn: &ConnectionConfig) -> Option<DhAlg> {
        conn.ike_proposals
            .first()
            .and_then(|p| p.dh.first().copied())
    }
}

pub(crate) fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Hex form of an SPI for logs.
pub(crate) fn hex8(s: &[u8; 8]) -> String {
    s.iter().map(|b| format!("{b:02x}")).collect()
}
