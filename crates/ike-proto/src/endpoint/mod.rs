//! The endpoint: SPI demultiplexing, admission of IKE_SA_INIT and IKE_SESSION_RESUME (cookies,
//! half-open limits), connections, commands, and the `handle` / `poll_*` surface of a driver.
//!
//! Call order for a driver (all sans-IO; the driver owns sockets and the clock):
//! 1. feed every received UDP payload to [`Endpoint::handle`];
//! 2. call [`Endpoint::handle_timeout`] when the instant from [`Endpoint::poll_timeout`] passes;
//! 3. after either (and after any command), drain [`Endpoint::poll_transmit`] and
//!    [`Endpoint::poll_event`].

mod admission;
mod identities;
mod resume;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_wire::{ExchangeType, Message};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::config::{ConnectionConfig, EndpointConfig};
use crate::cookie::CookieJar;
use crate::error::{CommandError, ConfigError, SaError};
use crate::event::{Event, SaInfo};
use crate::exchange::ticket::TicketState;
use crate::sa::{Action, Ctx, IkeSa, RequestKind, min_opt};
use crate::suspend::SuspendedSession;
use crate::ticket::UsedTickets;
use crate::transmit::{Datagram, Transmit, classify};

/// Does `conn` accept an IKE SA between these addresses?
pub(crate) fn accepts(conn: &ConnectionConfig, local: SocketAddr, remote: SocketAddr) -> bool {
    (conn.local_addrs.is_empty()
        || conn
            .local_addrs
            .iter()
            .any(|a| a.is_unspecified() || *a == local.ip()))
        && conn
            .remote_addr
            .is_none_or(|r| r.is_unspecified() || r == remote.ip())
}

/// Counters for monitoring and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams that did not parse.
    pub malformed: u64,
    /// Messages for SPIs we do not know.
    pub unknown_spi: u64,
    /// COOKIE challenges sent.
    pub cookies_sent: u64,
    /// IKE_SA_INIT requests refused (no proposal, wrong KE, ...).
    pub init_refused: u64,
    /// IKE_SA_INIT / IKE_SESSION_RESUME requests dropped at the half-open limit.
    pub half_open_dropped: u64,
    /// IKE_SESSION_RESUME requests accepted (ticket valid).
    pub resumes_accepted: u64,
    /// IKE_SESSION_RESUME requests refused with TICKET_NACK.
    pub tickets_refused: u64,
}

/// Everything an SA may touch while handling one input, apart from the SA map itself.
struct Shared {
    cfg: EndpointConfig,
    conns: Vec<Arc<ConnectionConfig>>,
    rng: ChaCha20Rng,
    out: VecDeque<Transmit>,
    events: VecDeque<Event>,
    spawned: Vec<IkeSa>,
    tickets: TicketState,
    actions: Vec<Action>,
}

impl Shared {
    fn ctx(&mut self, now: Instant, unix: u64) -> Ctx<'_> {
        Ctx {
            now,
            unix,
            rng: &mut self.rng,
            cfg: &self.cfg,
            conns: &self.conns,
            spawned: &mut self.spawned,
            tickets: &mut self.tickets,
            actions: &mut self.actions,
            out: &mut self.out,
            events: &mut self.events,
        }
    }
}

/// A sans-IO IKEv2 endpoint holding every IKE SA of one daemon (or one shard of it), the
/// gateway's ticket keys and the client's suspended sessions.
pub struct Endpoint {
    shared: Shared,
    /// Boxed: an entry is a pointer, so the table stays small and shrinks back after a peak.
    sas: HashMap<[u8; 8], Box<IkeSa>>,
    /// Half-open responder SAs by (SPIi, peer address) → (our SPI, hash of the request), to
    /// recognise retransmitted first messages (two clients behind one NAT may share an SPIi).
    half_open: HashMap<([u8; 8], SocketAddr), ([u8; 8], u64)>,
    cookies: CookieJar,
    clock_anchor: (Instant, u64),
    stats: Stats,
    /// Client side: suspended sessions by connection name (RFC 5723 §4.3.1).
    suspended: HashMap<String, SuspendedSession>,
    /// Next wakeup of every SA.
    timers: timers::TimerIndex,
    /// Established gateway SAs by peer identity (INITIAL_CONTACT).
    identities: identities::IdentityIndex,
}

impl Endpoint {
    /// Create an endpoint. `seed` seeds all randomness (SPIs, nonces, keys): the driver passes
    /// OS randomness, tests a fixed value. `unix_now` is the wall-clock time at `now`, used for
    /// certificate validity and ticket lifetimes.
    pub fn new(cfg: EndpointConfig, seed: [u8; 32], now: Instant, unix_now: u64) -> Endpoint {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let cookies = CookieJar::new(now, cfg.cookie_secret_lifetime, &mut rng);
        let used = UsedTickets::new(cfg.used_ticket_capacity);
        Endpoint {
            shared: Shared {
                cfg,
                conns: Vec::new(),
                rng,
                out: VecDeque::new(),
                events: VecDeque::new(),
                spawned: Vec::new(),
                tickets: TicketState { ring: None, used },
                actions: Vec::new(),
            },
            sas: HashMap::new(),
            half_open: HashMap::new(),
            cookies,
            clock_anchor: (now, unix_now),
            stats: Stats::default(),
            suspended: HashMap::new(),
            timers: timers::TimerIndex::default(),
            identities: identities::IdentityIndex::default(),
        }
    }

    /// Replace the connection set (load or reload). Existing SAs keep the settings they were
    /// created with until they are rekeyed or closed.
    pub fn set_connections(&mut self, conns: Vec<ConnectionConfig>) -> Result<(), ConfigError> {
        for (i, c) in conns.iter().enumerate() {
            c.validate()?;
            if conns[..i].iter().any(|o| o.name == c.name) {
                return Err(ConfigError::Invalid(format!(
                    "duplicate connection name {:?}",
                    c.name
                )));
            }
        }
        self.shared.conns = conns.into_iter().map(Arc::new).collect();
        Ok(())
    }

    /// The loaded connections.
    pub fn connections(&self) -> &[Arc<ConnectionConfig>] {
        &self.shared.conns
    }

    /// Endpoint settings.
    pub fn config(&self) -> &EndpointConfig {
        &self.shared.cfg
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Number of half-open responder SAs.
    pub fn half_open_count(&self) -> usize {
        self.half_open.len()
    }

    /// Number of IKE SAs in any state.
    pub fn sa_count(&self) -> usize {
        self.sas.len()
    }

    fn unix_at(&self, now: Instant) -> u64 {
        self.clock_anchor.1 + now.saturating_duration_since(self.clock_anchor.0).as_secs()
    }

    fn instant_of_unix(&self, unix: u64) -> Instant {
        self.clock_anchor.0 + Duration::from_secs(unix.saturating_sub(self.clock_anchor.1))
    }

    /// Run `f` on one SA with a context, then apply what it asked for.
    fn with_sa<R>(
        &mut self,
        now: Instant,
        spi: [u8; 8],
        f: impl FnOnce(&mut IkeSa, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let unix = self.unix_at(now);
        let sa = self.sas.get_mut(&spi)?;
        let r = f(sa, &mut self.shared.ctx(now, unix));
        let (closed, half_open) = (sa.is_closed(), sa.is_half_open());
        // The half-open entry is keyed by where IKE_SA_INIT came from, which the SA itself may
        // no longer know (the peer floats to the NAT-T port before IKE_AUTH): use the key the
        // SA was admitted under.
        let admitted = if closed || !half_open {
            sa.admission_key.take()
        } else {
            None
        };
        if closed {
            self.remove_sa(&spi);
        } else {
            self.reschedule(spi);
            self.index_identity(spi);
        }
        if let Some(key) = admitted {
            if self.half_open.get(&key).is_some_and(|(s, _)| *s == spi) {
                self.half_open.remove(&key);
            }
        }
        self.after(now);
        Some(r)
    }

    /// Adopt SAs created by rekeys and carry out the actions SAs asked for.
    fn after(&mut self, now: Instant) {
        for new in std::mem::take(&mut self.shared.spawned) {
            self.insert_sa(new);
        }
        for action in std::mem::take(&mut self.shared.actions) {
            match action {
                Action::InitiateFull { connection, why } => {
                    if let Err(e) = self.initiate(now, &connection) {
                        tracing::warn!(conn = %connection, error = %e, "fallback after '{why}' failed");
                    }
                }
                Action::DeleteSilently { spi_i, spi_r } => self.delete_silently(now, spi_i, spi_r),
                Action::InitialContact { keep } => self.initial_contact(now, keep),
                Action::Resume(session) => {
                    let name = session.connection.clone();
                    if let Err(e) = self.resume_session(now, *session) {
                        tracing::warn!(conn = %name, error = %e, "automatic resume failed");
                    }
                }
            }
        }
    }

    /// Process one received UDP payload.
    pub fn handle(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr, payload: &[u8]) {
        let bytes = match classify(payload) {
            Datagram::Ike(b) => b,
            Datagram::Keepalive => return,
            // Without the marker, only a NAT-T port carries ESP; elsewhere it is IKE, perhaps of
            // a version we do not speak (answered with INVALID_MAJOR_VERSION below).
            Datagram::Esp if local.port() != self.shared.cfg.natt_port && payload.len() >= 28 => {
                payload
            }
            Datagram::Esp => return,
        };
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(ike_wire::WireError::InvalidMajorVersion(v)) => {
                self.stats.malformed += 1;
                if let Some(resp) = invalid_major_version_response(bytes) {
                    tracing::debug!(%remote, version = v, "answering INVALID_MAJOR_VERSION");
                    self.shared
                        .out
                        .push_back(Transmit::ike(local, remote, &resp));
                }
                return;
            }
            Err(e) => {
                self.stats.malformed += 1;
                tracing::debug!(%remote, error = %e, "dropping unparseable datagram");
                return;
            }
        };
        let h = &msg.header;
        let first = matches!(
            h.exchange_type,
            ExchangeType::IkeSaInit | ExchangeType::IkeSessionResume
        );
        if first && !h.flags.is_response() && h.spi_r == [0; 8] {
            return self.handle_first_request(now, local, remote, bytes, &msg);
        }
        let spi = if h.flags.is_initiator() {
            h.spi_r
        } else {
            h.spi_i
        };
        if self
            .with_sa(now, spi, |sa, ctx| {
                sa.handle(ctx, local, remote, bytes, &msg)
            })
            .is_none()
        {
            self.stats.unknown_spi += 1;
            tracing::debug!(%remote, "message for unknown IKE SA dropped");
        }
    }

    /// Start an IKE SA for connection `name` with a full IKE_SA_INIT. Returns our SPI.
    pub fn initiate(&mut self, now: Instant, name: &str) -> Result<[u8; 8], CommandError> {
        let conn = self.connection(name)?;
        let remote_ip = conn
            .remote_addr
            .filter(|a| !a.is_unspecified())
            .ok_or_else(|| CommandError::NoRemoteAddress(name.into()))?;
        let local = self.local_for(&conn, remote_ip);
        let remote = SocketAddr::new(remote_ip, conn.remote_port);
        let unix = self.unix_at(now);
        let sa = IkeSa::new_initiator(&mut self.shared.ctx(now, unix), conn, local, remote)?;
        let spi = sa.spi_i;
        self.insert_sa(sa);
        Ok(spi)
    }

    fn connection(&self, name: &str) -> Result<Arc<ConnectionConfig>, CommandError> {
        self.shared
            .conns
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| CommandError::UnknownConnection(name.into()))
    }

    fn local_for(&self, conn: &ConnectionConfig, remote_ip: IpAddr) -> SocketAddr {
        let local_ip = conn
            .local_addrs
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == remote_ip.is_ipv4())
            .unwrap_or_else(|| unspecified_like(remote_ip));
        SocketAddr::new(local_ip, self.shared.cfg.port)
    }

    /// Delete every IKE SA of connection `name` (with a Delete payload when established).
    /// Returns how many SAs were affected.
    pub fn terminate(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        let spis: Vec<[u8; 8]> = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.conn.name == name)
            .map(|(k, _)| *k)
            .collect();
        if spis.is_empty() {
            return Err(CommandError::NoSa(name.into()));
        }
        for spi in &spis {
            self.with_sa(now, *spi, |sa, ctx| {
                if sa.is_established() {
                    sa.queue.push_back(RequestKind::DeleteIke);
                    sa.kick(ctx);
                } else {
                    sa.close(ctx, SaError::LocalClose);
                }
            });
        }
        Ok(spis.len())
    }

    /// Rekey the IKE SA(s) of connection `name` now (CREATE_CHILD_SA, RFC 7296 §1.3.2).
    pub fn rekey_ike(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        self.queue_on(now, name, |_| vec![RequestKind::RekeyIke])
    }

    /// Rekey every Child SA of connection `name` now (RFC 7296 §1.3.3).
    pub fn rekey_children(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        self.queue_on(now, name, |sa| {
            sa.children
                .iter()
                .filter_map(|c| {
                    sa.conn
                        .children
                        .iter()
                        .position(|t| t.name == c.name)
                        .map(|i| RequestKind::RekeyChild(i, c.spi_in))
                })
                .collect()
        })
    }

    /// Create an additional Child SA from template `child` of connection `name`.
    pub fn create_child(
        &mut self,
        now: Instant,
        name: &str,
        child: &str,
    ) -> Result<usize, CommandError> {
        let idx = self
            .connection(name)?
            .children
            .iter()
            .position(|t| t.name == child)
            .ok_or_else(|| CommandError::UnknownConnection(format!("{name}/{child}")))?;
        self.queue_on(now, name, |_| vec![RequestKind::CreateChild(idx)])
    }

    /// Ask the gateway for a fresh resumption ticket now (INFORMATIONAL, RFC 5723 §4.1).
    pub fn request_ticket(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        self.queue_on(now, name, |sa| {
            if sa.gateway {
                Vec::new()
            } else {
                vec![RequestKind::TicketRequest]
            }
        })
    }

    /// Send a liveness check on every established SA of `name` now.
    pub fn dpd(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        self.queue_on(now, name, |_| vec![RequestKind::Dpd])
    }

    fn queue_on(
        &mut self,
        now: Instant,
        name: &str,
        f: impl Fn(&IkeSa) -> Vec<RequestKind>,
    ) -> Result<usize, CommandError> {
        let spis: Vec<[u8; 8]> = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.conn.name == name && sa.is_established() && !sa.superseded)
            .map(|(k, _)| *k)
            .collect();
        if spis.is_empty() {
            return Err(CommandError::NoSa(name.into()));
        }
        for spi in &spis {
            self.with_sa(now, *spi, |sa, ctx| {
                let kinds = f(sa);
                sa.queue.extend(kinds);
                sa.kick(ctx);
            });
        }
        Ok(spis.len())
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.shared.out.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.shared.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = self.timers.first();
        if !self.half_open.is_empty() {
            t = min_opt(t, Some(self.cookies.next_rotation()));
        }
        if let Some(ring) = &self.shared.tickets.ring {
            t = min_opt(t, Some(self.instant_of_unix(ring.next_rotation())));
        }
        t
    }

    /// Handle every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.cookies.maybe_rotate(now, &mut self.shared.rng);
        self.rotate_ticket_keys(now);
        for spi in self.timers.take_due(now) {
            self.with_sa(now, spi, |sa, ctx| sa.handle_timeout(ctx));
        }
    }

    /// Snapshot of one IKE SA by our SPI.
    pub fn sa_info(&self, local_spi: &[u8; 8]) -> Option<SaInfo> {
        self.sas.get(local_spi).map(|sa| sa.info())
    }

    /// The exported keys of one IKE SA (only with [`EndpointConfig::export_keys`]).
    pub fn key_export(&self, local_spi: &[u8; 8]) -> Option<&crate::event::IkeKeyExport> {
        self.sas.get(local_spi)?.key_export.as_ref()
    }

    /// Snapshot of every IKE SA.
    pub fn list(&self) -> Vec<SaInfo> {
        let mut v: Vec<SaInfo> = self.sas.values().map(|sa| sa.info()).collect();
        v.sort_by(|a, b| a.connection.cmp(&b.connection).then(a.spi_i.cmp(&b.spi_i)));
        v
    }
}

/// RFC 7296 §2.5: a request with a higher major version gets an unprotected
/// INVALID_MAJOR_VERSION in a version 2.0 header, SPIs and message ID copied; never a response
/// to a response.
fn invalid_major_version_response(bytes: &[u8]) -> Option<Vec<u8>> {
    let h = bytes.get(..ike_wire::IKE_HEADER_LEN)?;
    if h[19] & ike_wire::Flags::RESPONSE != 0 {
        return None;
    }
    let spi_i: [u8; 8] = h[0..8].try_into().ok()?;
    let spi_r: [u8; 8] = h[8..16].try_into().ok()?;
    let mid = u32::from_be_bytes(h[20..24].try_into().ok()?);
    let mut header = ike_wire::IkeHeader::new(
        spi_i,
        spi_r,
        ExchangeType::from(h[18]),
        ike_wire::Flags::new(false, true),
        mid,
    );
    header.next_payload = ike_wire::PayloadType::Notify;
    let n = ike_wire::NotifyPayload::status(ike_wire::NotifyType::InvalidMajorVersion);
    Some(
        Message {
            header,
            payloads: vec![ike_wire::Payload::Notify(n)],
        }
        .emit(),
    )
}

fn unspecified_like(ip: IpAddr) -> IpAddr {
    if ip.is_ipv4() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    }
}
