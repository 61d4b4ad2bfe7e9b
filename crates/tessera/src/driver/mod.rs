//! The tokio driver around the sans-IO [`Endpoint`]: UDP sockets (IKE port and NAT-T port on
//! every listen address), timers, control commands, and the mapping of engine events to logs,
//! the kernel backend and waiting control clients.
//!
//! The driver runs `[daemon] workers` engine shards ([`engine`]), each a task owning one
//! [`Endpoint`] whose SPIs name the shard ([`ike_proto::config::Shard`]), with its own channels
//! and timer. Socket readers route every datagram with [`ike_proto::route`] to its shard's
//! channel, and shards send on the shared sockets themselves: nothing on the packet path takes
//! a lock. Control requests are fanned out by [`DriverHandle`] ([`shards`]); the rare
//! cross-shard work (removing a resumed session's old SA, copying a rotated ticket key ring)
//! goes through the shards' peer channels.
//!
//! Submodules: [`engine`] (one shard's loop), [`shards`] (routing and fan-out), [`events`]
//! (engine events), [`commands`] (control requests) and [`resume`] (RFC 5723: ticket key file,
//! suspended sessions, resume outcomes, key log).

mod commands;
mod engine;
mod events;
mod resume;
mod shards;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ike_proto::config::Shard;
use ike_proto::{ConnectionConfig, Endpoint, Event};

use rand_core::{OsRng, RngCore};
pub use resume::StateError;
pub(crate) use resume::human_secs;
pub use shards::DriverHandle;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::{Config, DaemonConfig};
use crate::control::proto::spi_hex;
use crate::control::{Request, Response, SaJson};
use crate::kernel::{ChildSa, KernelBackend};
use engine::Engine;
use shards::{PeerMsg, ShardCommand};

/// Direction of a datagram seen by a [`Tap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received.
    In,
    /// Sent.
    Out,
}

/// Observer of every datagram (the demo prints the exchanges with it).
pub type Tap = Box<dyn FnMut(Direction, SocketAddr, SocketAddr, &[u8]) + Send>;

/// Why the driver could not start.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// A socket could not be bound.
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The engine rejected the connections.
    #[error(transparent)]
    Config(#[from] ike_proto::ConfigError),
}

struct Received {
    local: SocketAddr,
    remote: SocketAddr,
    data: Vec<u8>,
}

/// The sockets every shard sends on (`send_to` on a shared socket needs no lock).
struct Sockets {
    sockets: Vec<Arc<UdpSocket>>,
    local_addrs: Vec<SocketAddr>,
}

impl Sockets {
    fn socket_for(&self, local: SocketAddr) -> Option<&Arc<UdpSocket>> {
        let port = local.port();
        let exact = self.local_addrs.iter().position(|a| *a == local);
        let wildcard = || {
            self.local_addrs.iter().position(|a| {
                a.port() == port
                    && a.is_ipv4() == local.is_ipv4()
                    && (a.ip().is_unspecified() || local.ip().is_unspecified())
            })
        };
        exact.or_else(wildcard).map(|i| &self.sockets[i])
    }
}

/// The kernel backend, shared by the shards. Locked once per Child SA installed or removed,
/// never per datagram.
type SharedBackend = Arc<Mutex<Box<dyn KernelBackend>>>;

/// The sharded engine: build it with [`Driver::new`], then [`Driver::run`] it.
pub struct Driver {
    engines: Vec<Engine>,
    local_addrs: Vec<SocketAddr>,
    readers: Vec<JoinHandle<()>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        for r in &self.readers {
            r.abort();
        }
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn bind(addr: SocketAddr) -> Result<UdpSocket, DriverError> {
    UdpSocket::bind(addr)
        .await
        .map_err(|source| DriverError::Bind { addr, source })
}

impl Driver {
    /// Bind every listen address × {port, natt_port} (port 0 = a free port, shared by all
    /// addresses), create `daemon.workers` engine shards with the bound ports and load
    /// `connections` into each. Must be called inside a tokio runtime (it spawns the socket
    /// readers).
    pub async fn new(
        daemon: &DaemonConfig,
        connections: Vec<ConnectionConfig>,
        backend: Box<dyn KernelBackend>,
    ) -> Result<(Driver, DriverHandle), DriverError> {
        let mut sockets = Vec::new();
        let (mut port, mut natt_port) = (daemon.port, daemon.natt_port);
        for ip in &daemon.listen {
            for which in [&mut port, &mut natt_port] {
                let s = bind(SocketAddr::new(*ip, *which)).await?;
                let bound = s.local_addr().map_err(|source| DriverError::Bind {
                    addr: SocketAddr::new(*ip, *which),
                    source,
                })?;
                *which = bound.port();
                sockets.push(Arc::new(s));
            }
        }
        let mut local_addrs = Vec::new();
        for s in &sockets {
            let local = s.local_addr().map_err(|source| DriverError::Bind {
                addr: SocketAddr::new(daemon.listen[0], 0),
                source,
            })?;
            local_addrs.push(local);
        }
        let count = shard_count(daemon.workers);
        let io = Arc::new(Sockets {
            sockets: sockets.clone(),
            local_addrs: local_addrs.clone(),
        });
        let backend_name = backend.name();
        let backend: SharedBackend = Arc::new(Mutex::new(backend));
        let mut udp_txs = Vec::new();
        let mut cmd_txs = Vec::new();
        let mut peer_txs = Vec::new();
        let mut parts = Vec::new();
        for _ in 0..count {
            let (udp_tx, udp_rx) = mpsc::channel(1024);
            let (cmd_tx, cmd_rx) = mpsc::channel(64);
            let (peer_tx, peer_rx) = mpsc::unbounded_channel();
            udp_txs.push(udp_tx);
            cmd_txs.push(cmd_tx);
            peer_txs.push(peer_tx);
            parts.push((udp_rx, cmd_rx, peer_rx));
        }
        let mut engines = Vec::new();
        for (index, (udp_rx, cmd_rx, peer_rx)) in parts.into_iter().enumerate() {
            let mut seed = [0u8; 32];
            OsRng.fill_bytes(&mut seed);
            let mut ep = Endpoint::new(
                shard_endpoint_config(daemon, port, natt_port, index, count),
                seed,
                Instant::now(),
                unix_now(),
            );
            ep.set_connections(connections.clone())?;
            engines.push(Engine::new(
                index,
                ep,
                io.clone(),
                engine::Channels {
                    udp_rx,
                    cmd_rx,
                    peer_rx,
                    peers: peer_txs.clone(),
                },
                backend.clone(),
            ));
        }
        let udp_txs: Arc<[mpsc::Sender<Received>]> = udp_txs.into();
        let readers = sockets
            .iter()
            .zip(&local_addrs)
            .map(|(s, local)| tokio::spawn(read_loop(s.clone(), *local, udp_txs.clone())))
            .collect();
        tracing::info!(
            listen = ?local_addrs,
            backend = backend_name,
            connections = connections.len(),
            workers = count,
            "tessera driver started"
        );
        let driver = Driver {
            engines,
            local_addrs,
            readers,
        };
        Ok((driver, DriverHandle::new(cmd_txs)))
    }

    /// Remember the configuration this driver was built from, so `reload` can re-read it.
    pub fn set_config(&mut self, config: Config) {
        for e in &mut self.engines {
            e.config = Some(config.clone());
        }
    }

    /// Observe every datagram sent and received (by all shards; the demo runs one).
    pub fn set_tap(&mut self, tap: Tap) {
        let tap = Arc::new(Mutex::new(tap));
        for e in &mut self.engines {
            e.tap = Some(tap.clone());
        }
    }

    /// The bound socket addresses (IKE and NAT-T per listen address).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The first shard's engine (the only one with `workers = 1`; for status in tests and the
    /// demo).
    pub fn endpoint(&self) -> &Endpoint {
        &self.engines[0].ep
    }

    /// Every shard's engine, by shard index.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.engines.iter().map(|e| &e.ep)
    }

    /// Run until every [`DriverHandle`] is dropped. With several shards each runs as its own
    /// task, so a multi-thread runtime spreads them over the cores.
    pub async fn run(mut self) {
        let mut engines = std::mem::take(&mut self.engines);
        if engines.len() == 1 {
            if let Some(e) = engines.pop() {
                e.run().await;
            }
        } else {
            let tasks: Vec<_> = engines.into_iter().map(|e| tokio::spawn(e.run())).collect();
            for t in tasks {
                if let Err(e) = t.await {
                    tracing::error!(error = %e, "engine shard task failed");
                }
            }
        }
        tracing::info!("tessera driver stopped");
    }
}

/// `workers` as a shard count (SPIs name their shard in one octet).
fn shard_count(workers: usize) -> usize {
    workers.clamp(1, crate::config::MAX_WORKERS)
}

/// One shard's engine settings: its SPIs name it, only shard 0 rotates the ticket keys (the
/// others get copies), and the DoS limits are split between the shards.
fn shard_endpoint_config(
    daemon: &DaemonConfig,
    port: u16,
    natt_port: u16,
    index: usize,
    count: usize,
) -> ike_proto::EndpointConfig {
    let mut cfg = daemon.endpoint_config(port, natt_port);
    if count > 1 {
        // Both fit: count ≤ MAX_WORKERS.
        let (index, count) = (index as u8, count as u8);
        cfg.shard = Some(Shard { index, count });
        cfg.rotate_ticket_keys = index == 0;
        cfg.cookie_threshold = (cfg.cookie_threshold / usize::from(count)).max(1);
        cfg.half_open_limit = (cfg.half_open_limit / usize::from(count)).max(1);
    }
    cfg
}

/// One debug line per IKE datagram: header fields only, never payload bytes.
fn log_datagram(dir: Direction, local: SocketAddr, remote: SocketAddr, bytes: &[u8]) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let ike_proto::transmit::Datagram::Ike(ike) = ike_proto::transmit::classify(bytes) else {
        return;
    };
    let Ok(h) = ike_wire::IkeHeader::parse(ike) else {
        return;
    };
    let what = match dir {
        Direction::In => "received",
        Direction::Out => "sent",
    };
    tracing::debug!(
        %local,
        %remote,
        exchange = %h.exchange_type,
        response = h.flags.is_response(),
        mid = h.message_id,
        spi_i = spi_hex(&h.spi_i),
        spi_r = spi_hex(&h.spi_r),
        bytes = bytes.len(),
        "{what}"
    );
}

/// Copy each datagram to the channel of the shard that owns it (no shared state: the header,
/// or for first messages a hash, names the shard).
async fn read_loop(sock: Arc<UdpSocket>, local: SocketAddr, shards: Arc<[mpsc::Sender<Received>]>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, remote)) => {
                let data = buf[..n].to_vec();
                let shard = shards::shard_of_datagram(&data, remote, shards.len());
                let r = Received {
                    local,
                    remote,
                    data,
                };
                if shards[shard].send(r).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::debug!(%local, error = %e, "UDP receive error");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
