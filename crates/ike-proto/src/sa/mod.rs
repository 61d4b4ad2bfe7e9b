//! One IKE SA: its state, keys, message IDs, retransmission and Child SAs.
//!
//! Exchange logic lives in `crate::exchange`, one file per exchange; this module owns what every
//! exchange shares: the message layer (protect/unprotect), the request window (size 1),
//! retransmission with exponential backoff and the response cache.

pub(crate) mod fragment;
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
use window::Window;

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
    /// Gateway ticket machinery (key ring, used-ticket log).
    pub tickets: &'a mut crate::exchange::ticket::TicketState,
    /// Work for the endpoint after this input (fallbacks, silent deletes).
    pub actions: &'a mut Vec<Action>,
    /// Datagrams to send.
    pub out: &'a mut VecDeque<Transmit>,
    /// Events for the driver.
    pub events: &'a mut VecDeque<Event>,
}

/// Something an SA asks its endpoint to do once the current input is handled.
pub(crate) enum Action {
    /// Start a full IKE_SA_INIT for this connection (resumption fallback); the reason is logged.
    InitiateFull { connection: String, why: String },
    /// Remove this SA without telling the peer (old SA after a successful resume, RFC 5723 §4.3.4).
    DeleteSilently { spi_i: [u8; 8], spi_r: [u8; 8] },
    /// Resume this suspended session now (peer declared dead while we hold a ticket).
    Resume(Box<crate::suspend::SuspendedSession>),
    /// The peer sent INITIAL_CONTACT in the IKE_AUTH of the SA with this (our) SPI: every other
    /// IKE SA between the same identities goes (RFC 7296 §2.4).
    InitialContact { keep: [u8; 8] },
}

/// A ticket the client holds for its IKE SA (RFC 5723 §4.1).
pub(crate) struct HeldTicket {
    /// Opaque ticket bytes.
    pub bytes: Vec<u8>,
    /// Absolute expiry (Unix seconds).
    pub expires_at: u64,
}

/// What the gateway learned from a valid ticket; checked in the resumed IKE_AUTH (§4.3.3).
#[derive(Debug, Clone)]
pub(crate) struct ResumeCheck {
    /// IDi recorded in the ticket.
    pub id_i: Identity,
    /// IDr recorded in the ticket.
    pub id_r: Identity,
    /// Ticket id for the used-ticket log.
    pub ticket_id: [u8; 16],
    /// Ticket expiry.
    pub expires_at: u64,
    /// SPIs of the SA the ticket was issued for.
    pub old_spis: ([u8; 8], [u8; 8]),
}

impl IkeSa {
    /// Move this SA's resumable state out into a [`SuspendedSession`] (client side). Keys are
    /// moved, not copied; the SA is left without keys or ticket.
    pub(crate) fn take_suspended(&mut self, unix: u64) -> Option<crate::suspend::SuspendedSession> {
        if self.gateway || self.ticket.is_none() || self.keys.is_none() {
            return None;
        }
        let ticket = self.ticket.take()?;
        let keys = self.keys.take()?;
        let suite = self.suite?;
        // Resume goes to the peer's IKE port, not a NAT-T port we may have floated to: the new
        // exchange redoes NAT detection from scratch.
        let peer = std::net::SocketAddr::new(self.remote.ip(), self.conn.remote_port);
        Some(crate::suspend::SuspendedSession {
            connection: self.conn.name.clone(),
            ticket: ticket.bytes,
            sk_d: keys.sk_d,
            suite,
            id_i: self
                .resume_check
                .as_ref()
                .map(|r| r.id_i.clone())
                .unwrap_or_else(|| self.conn.local_id.clone()),
            id_r: self.peer_id.clone()?,
            expires_at: ticket.expires_at,
            suspended_at: unix,
            peer,
            local: (!self.local.ip().is_unspecified()).then(|| self.local.ip()),
        })
    }
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
    /// Initiator: IKE_SESSION_RESUME sent (RFC 5723 §4.3.2).
    ResumeSent {
        /// The suspended session being resumed (ticket, SK_d, ...).
        session: Box<crate::suspend::SuspendedSession>,
        /// Cookie to echo, after a COOKIE challenge.
        cookie: Option<Vec<u8>>,
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
    pub expire_at: Option<Instant>,
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
            // Zero lifetimes mean "never" (as in strongSwan); a hard lifetime is never shorter
            // than the soft one.
            expire_at: {
                let life = tmpl.life_time.max(tmpl.rekey_time);
                (!life.is_zero()).then(|| now + life)
            },
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
    /// Client: the ticket for this SA, if the gateway issued one.
    pub ticket: Option<HeldTicket>,
    /// Client: when to ask for a fresh ticket (before the current one expires).
    pub ticket_renew_at: Option<Instant>,
    /// Is this SA the product of a resumption (AUTH uses the resumed form, §4.3.3)?
    pub resumed: bool,
    /// Gateway: the ticket this SA is being resumed from, until IKE_AUTH succeeds.
    pub resume_check: Option<ResumeCheck>,
    /// Gateway: how the peer authenticated (AUTH method), recorded in tickets.
    pub peer_auth_method: u8,
    /// Both peers announced IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383) for this SA.
    pub fragmentation: bool,
    /// Fragments of the peer's request being reassembled.
    pub frag_in_request: Option<fragment::Reassembly>,
    /// Fragments of the peer's response being reassembled.
    pub frag_in_response: Option<fragment::Reassembly>,
    /// Copies of SK_e*/SK_a* kept only when key export is enabled (debugging with Wireshark).
    pub key_export: Option<crate::event::IkeKeyExport>,
    /// Responder: the (SPIi, address) its first request was admitted under (half-open index).
    pub admission_key: Option<([u8; 8], SocketAddr)>,
    /// Listed in the endpoint's identity index (established gateway SA with a peer identity).
    pub identity_indexed: bool,
    /// Are we the gateway of this session (the original responder)? Unlike the I flag, this
    /// survives IKE rekeys, which may swap initiator and responder (RFC 5723 "client"/"gateway").
    pub gateway: bool,
}

impl IkeSa {
    /// A fresh SA with no keys and no history; constructors of each exchange fill in the rest.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn blank(
        conn: Arc<ConnectionConfig>,
        initiator: bool,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        local: SocketAddr,
        remote: SocketAddr,
        phase: Phase,
        now: Instant,
    ) -> IkeSa {
        IkeSa {
            conn,
            initiator,
            spi_i,
            spi_r,
            local,
            remote,
            phase,
            ni: Vec::new(),
            nr: Vec::new(),
            init_request: Vec::new(),
            init_response: Vec::new(),
            suite: None,
            keys: None,
            peer_id: None,
            nat_detected: false,
            peer_hashes: None,
            window: Window::starting_at(0, 0),
            queue: VecDeque::new(),
            children: Vec::new(),
            created: now,
            established_at: None,
            last_inbound: now,
            pending_child: None,
            pending_create: None,
            rekey_at: None,
            superseded: false,
            ticket: None,
            ticket_renew_at: None,
            resumed: false,
            resume_check: None,
            peer_auth_method: 0,
            gateway: !initiator,
            identity_indexed: false,
            admission_key: None,
            key_export: None,
            fragmentation: false,
            frag_in_request: None,
            frag_in_response: None,
        }
    }

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
        if reason == crate::SaError::DeadPeer {
            // RFC 5723 §3: a client holding a ticket resumes when liveness checks (never an
            // unauthenticated message) declare the gateway dead.
            if let Some(s) = self.take_suspended(ctx.unix) {
                tracing::warn!(conn = %self.conn.name, "peer dead; resuming with the ticket we hold");
                ctx.actions.push(Action::Resume(Box::new(s)));
            }
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
        for r in [&self.frag_in_request, &self.frag_in_response]
            .into_iter()
            .flatten()
        {
            t = min_opt(t, Some(r.started + fragment::REASSEMBLY_TIMEOUT));
        }
        if let (Phase::Established, true) = (&self.phase, !self.conn.dpd_delay.is_zero()) {
            if self.window.is_idle() {
                t = min_opt(t, Some(self.last_inbound + self.conn.dpd_delay));
            }
        }
        if matches!(self.phase, Phase::Established) {
            t = min_opt(t, self.rekey_at);
            t = min_opt(t, self.ticket_renew_at);
            for c in &self.children {
                t = min_opt(t, min_opt(c.rekey_at, c.expire_at));
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
                Phase::InitSent { .. } | Phase::ResumeSent { .. } | Phase::InitReplied => {
                    SaState::Connecting
                }
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
            resumed: self.resumed,
            ticket_expires: self.ticket.as_ref().map(|t| t.expires_at),
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
