//! The endpoint: SPI demultiplexing, IKE_SA_INIT admission (cookies, half-open limits),
//! connections, commands, and the `handle` / `poll_*` surface a driver calls.
//!
//! Call order for a driver (all sans-IO; the driver owns sockets and the clock):
//! 1. feed every received UDP payload to [`Endpoint::handle`];
//! 2. call [`Endpoint::handle_timeout`] when the instant from [`Endpoint::poll_timeout`] passes;
//! 3. after either, drain [`Endpoint::poll_transmit`] and [`Endpoint::poll_event`].

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use ike_wire::{ExchangeType, Message, NotifyPayload, NotifyType, Payload};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::config::{ConnectionConfig, EndpointConfig};
use crate::cookie::CookieJar;
use crate::error::{CommandError, ConfigError, PeerMisbehaved, SaError};
use crate::event::{Event, SaInfo};
use crate::exchange::ike_sa_init::{notify_response, refusal};
use crate::exchange::rules;
use crate::sa::{Ctx, IkeSa, RequestKind, min_opt, window::hash_bytes};
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
    /// IKE_SA_INIT requests dropped at the half-open limit.
    pub half_open_dropped: u64,
}

/// A sans-IO IKEv2 endpoint holding every IKE SA of one daemon (or one shard of it).
pub struct Endpoint {
    cfg: EndpointConfig,
    conns: Vec<Arc<ConnectionConfig>>,
    sas: HashMap<[u8; 8], IkeSa>,
    /// Half-open responder SAs by (SPIi, peer address) → (our SPI, hash of the request), to
    /// recognise IKE_SA_INIT retransmissions (two clients behind one NAT may share an SPIi).
    half_open: HashMap<([u8; 8], SocketAddr), ([u8; 8], u64)>,
    cookies: CookieJar,
    rng: ChaCha20Rng,
    out: VecDeque<Transmit>,
    events: VecDeque<Event>,
    clock_anchor: (Instant, u64),
    stats: Stats,
    /// SAs created by a rekey while another SA was being handled.
    spawned: Vec<IkeSa>,
}

impl Endpoint {
    /// Create an endpoint. `seed` seeds all randomness (SPIs, nonces, keys): the driver passes
    /// OS randomness, tests a fixed value. `unix_now` is the wall-clock time at `now`, used for
    /// certificate validity.
    pub fn new(cfg: EndpointConfig, seed: [u8; 32], now: Instant, unix_now: u64) -> Endpoint {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let cookies = CookieJar::new(now, cfg.cookie_secret_lifetime, &mut rng);
        Endpoint {
            cfg,
            conns: Vec::new(),
            sas: HashMap::new(),
            half_open: HashMap::new(),
            cookies,
            rng,
            out: VecDeque::new(),
            events: VecDeque::new(),
            clock_anchor: (now, unix_now),
            stats: Stats::default(),
            spawned: Vec::new(),
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
        self.conns = conns.into_iter().map(Arc::new).collect();
        Ok(())
    }

    /// The loaded connections.
    pub fn connections(&self) -> &[Arc<ConnectionConfig>] {
        &self.conns
    }

    /// Endpoint settings.
    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
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

    fn with_sa<R>(
        &mut self,
        now: Instant,
        spi: [u8; 8],
        f: impl FnOnce(&mut IkeSa, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let unix = self.unix_at(now);
        let sa = self.sas.get_mut(&spi)?;
        let mut ctx = Ctx {
            now,
            unix,
            rng: &mut self.rng,
            cfg: &self.cfg,
            conns: &self.conns,
            spawned: &mut self.spawned,
            out: &mut self.out,
            events: &mut self.events,
        };
        let r = f(sa, &mut ctx);
        let (closed, half_open, key) = (sa.is_closed(), sa.is_half_open(), (sa.spi_i, sa.remote));
        for new in self.spawned.drain(..) {
            self.sas.insert(new.local_spi(), new);
        }
        if closed {
            self.sas.remove(&spi);
        }
        if closed || !half_open {
            if self.half_open.get(&key).is_some_and(|(s, _)| *s == spi) {
                self.half_open.remove(&key);
            } else {
                self.half_open.retain(|_, (s, _)| *s != spi);
            }
        }
        Some(r)
    }

    /// Process one received UDP payload.
    pub fn handle(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr, payload: &[u8]) {
        let Datagram::Ike(bytes) = classify(payload) else {
            return;
        };
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.stats.malformed += 1;
                tracing::debug!(%remote, error = %e, "dropping unparseable datagram");
                return;
            }
        };
        let h = &msg.header;
        if h.exchange_type == ExchangeType::IkeSaInit && !h.flags.is_response() && h.spi_r == [0; 8]
        {
            return self.handle_init_request(now, local, remote, bytes, &msg);
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

    fn handle_init_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        msg: &Message,
    ) {
        let key = (msg.header.spi_i, remote);
        let hash = hash_bytes(bytes);
        if let Some((spi, h)) = self.half_open.get(&key).copied() {
            if h == hash {
                // Retransmitted request: resend our response; never build a second SA.
                if let Some(resp) = self.sas.get(&spi).map(|sa| sa.init_response.clone()) {
                    self.out.push_back(Transmit::ike(local, remote, &resp));
                }
            }
            return;
        }
        if msg.header.message_id != 0 {
            return;
        }
        if let Err(e) = rules::check(ExchangeType::IkeSaInit, false, &msg.payloads) {
            self.stats.init_refused += 1;
            self.out
                .push_back(Transmit::ike(local, remote, &refusal(msg, &e)));
            return;
        }
        if self.half_open.len() >= self.cfg.half_open_limit {
            self.stats.half_open_dropped += 1;
            return;
        }
        if self.half_open.len() >= self.cfg.cookie_threshold
            && !self.cookie_ok(now, local, remote, msg)
        {
            return;
        }
        let Some(conn) = self
            .conns
            .iter()
            .find(|c| accepts(c, local, remote))
            .cloned()
        else {
            self.stats.init_refused += 1;
            let resp = refusal(msg, &PeerMisbehaved::NoProposalChosen);
            self.out.push_back(Transmit::ike(local, remote, &resp));
            return;
        };
        let unix = self.unix_at(now);
        let mut ctx = Ctx {
            now,
            unix,
            rng: &mut self.rng,
            cfg: &self.cfg,
            conns: &self.conns,
            spawned: &mut self.spawned,
            out: &mut self.out,
            events: &mut self.events,
        };
        match IkeSa::new_responder(&mut ctx, conn, local, remote, msg, bytes) {
            Ok(sa) => {
                let spi = sa.spi_r;
                self.half_open.insert(key, (spi, hash));
                self.sas.insert(spi, sa);
            }
            Err(e) => {
                self.stats.init_refused += 1;
                tracing::info!(%remote, error = %e, "IKE_SA_INIT refused");
                self.out
                    .push_back(Transmit::ike(local, remote, &refusal(msg, &e)));
            }
        }
    }

    /// Under load, demand a valid cookie (RFC 7296 §2.6); send a challenge when it is missing.
    fn cookie_ok(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        msg: &Message,
    ) -> bool {
        self.cookies.maybe_rotate(now, &mut self.rng);
        let ni = msg.payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(&n.data[..]),
            _ => None,
        });
        let Some(ni) = ni else { return false };
        if let Some(Payload::Notify(n)) = msg.payloads.first() {
            if n.notify_type == NotifyType::Cookie
                && self
                    .cookies
                    .verify(&n.data, ni, remote.ip(), &msg.header.spi_i)
            {
                return true;
            }
        }
        let cookie = self.cookies.make(ni, remote.ip(), &msg.header.spi_i);
        self.stats.cookies_sent += 1;
        let resp = notify_response(msg, NotifyPayload::new(NotifyType::Cookie, cookie));
        self.out.push_back(Transmit::ike(local, remote, &resp));
        false
    }

    /// Start an IKE SA for connection `name`. Returns our SPI.
    pub fn initiate(&mut self, now: Instant, name: &str) -> Result<[u8; 8], CommandError> {
        let conn = self
            .conns
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| CommandError::UnknownConnection(name.into()))?;
        let remote_ip = conn
            .remote_addr
            .filter(|a| !a.is_unspecified())
            .ok_or_else(|| CommandError::NoRemoteAddress(name.into()))?;
        let local_ip = conn
            .local_addrs
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == remote_ip.is_ipv4())
            .unwrap_or_else(|| unspecified_like(remote_ip));
        let local = SocketAddr::new(local_ip, self.cfg.port);
        let remote = SocketAddr::new(remote_ip, conn.remote_port);
        let unix = self.unix_at(now);
        let mut ctx = Ctx {
            now,
            unix,
            rng: &mut self.rng,
            cfg: &self.cfg,
            conns: &self.conns,
            spawned: &mut self.spawned,
            out: &mut self.out,
            events: &mut self.events,
        };
        let sa = IkeSa::new_initiator(&mut ctx, conn, local, remote)?;
        let spi = sa.spi_i;
        self.sas.insert(spi, sa);
        Ok(spi)
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
            .conns
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.children.iter().position(|t| t.name == child))
            .ok_or_else(|| CommandError::UnknownConnection(format!("{name}/{child}")))?;
        self.queue_on(now, name, |_| vec![RequestKind::CreateChild(idx)])
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

    /// Send a liveness check on every established SA of `name` now.
    pub fn dpd(&mut self, now: Instant, name: &str) -> Result<usize, CommandError> {
        let spis: Vec<[u8; 8]> = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.conn.name == name && sa.is_established())
            .map(|(k, _)| *k)
            .collect();
        for spi in &spis {
            self.with_sa(now, *spi, |sa, ctx| {
                sa.queue.push_back(RequestKind::Dpd);
                sa.kick(ctx);
            });
        }
        Ok(spis.len())
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = None;
        for sa in self.sas.values() {
            t = min_opt(t, sa.next_timeout(&self.cfg));
        }
        if !self.half_open.is_empty() {
            t = min_opt(t, Some(self.cookies.next_rotation()));
        }
        t
    }

    /// Handle every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.cookies.maybe_rotate(now, &mut self.rng);
        let due: Vec<[u8; 8]> = self
            .sas
            .iter()
            .filter(|(_, sa)| sa.next_timeout(&self.cfg).is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for spi in due {
            self.with_sa(now, spi, |sa, ctx| sa.handle_timeout(ctx));
        }
    }

    /// Snapshot of every IKE SA.
    pub fn list(&self) -> Vec<SaInfo> {
        let mut v: Vec<SaInfo> = self.sas.values().map(IkeSa::info).collect();
        v.sort_by(|a, b| a.connection.cmp(&b.connection).then(a.spi_i.cmp(&b.spi_i)));
        v
    }
}

fn unspecified_like(ip: IpAddr) -> IpAddr {
    if ip.is_ipv4() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    }
}
