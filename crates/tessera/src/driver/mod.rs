//! The tokio driver around the sans-IO [`Endpoint`]: UDP sockets (IKE port and NAT-T port on
//! every listen address), timers, control commands, and the mapping of engine events to logs,
//! the kernel backend and waiting control clients.
//!
//! Submodules: [`events`] (engine events), [`commands`] (control requests) and [`resume`]
//! (RFC 5723: ticket key file, suspended sessions, resume outcomes, key log).
//!
//! One task owns the engine. Socket readers are separate tasks that only copy datagrams into a
//! channel, so sharding by SPI later means routing that channel by the header's SPI to several
//! engine tasks; nothing else here assumes a single engine.

mod commands;
mod events;
mod resume;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ike_proto::{ConnectionConfig, Endpoint, Event};

use rand_core::{OsRng, RngCore};
pub use resume::StateError;
pub(crate) use resume::human_secs;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::{Config, DaemonConfig};
use crate::control::proto::spi_hex;
use crate::control::{Request, Response, SaJson};
use crate::kernel::{ChildSa, KernelBackend};

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

type Command = (Request, oneshot::Sender<Response>);

/// Sends control requests to a running [`Driver`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DriverHandle {
    tx: mpsc::Sender<Command>,
}

impl DriverHandle {
    /// Submit a request and wait for the answer (which, for waited commands, comes once the
    /// outcome is known).
    pub async fn request(&self, req: Request) -> Response {
        let (tx, rx) = oneshot::channel();
        if self.tx.send((req, tx)).await.is_err() {
            return Response::error("daemon is shutting down");
        }
        rx.await
            .unwrap_or_else(|_| Response::error("daemon dropped the request"))
    }
}

struct Received {
    local: SocketAddr,
    remote: SocketAddr,
    data: Vec<u8>,
}

/// A control client waiting for the outcome of a command.
enum Waiter {
    /// `initiate --wait`: answered on Established or Closed of this SPI.
    Initiate {
        spi: [u8; 8],
        tx: oneshot::Sender<Response>,
    },
    /// `terminate --wait`: answered when every listed SPI has closed.
    Terminate {
        name: String,
        spis: HashSet<[u8; 8]>,
        tx: oneshot::Sender<Response>,
    },
}

/// Cap on cached routes (local source address per remote address) for wildcard sockets.
const MAX_ROUTES: usize = 4096;

/// The engine task.
pub struct Driver {
    ep: Endpoint,
    sockets: Vec<Arc<UdpSocket>>,
    local_addrs: Vec<SocketAddr>,
    udp_rx: mpsc::Receiver<Received>,
    cmd_rx: mpsc::Receiver<Command>,
    readers: Vec<JoinHandle<()>>,
    backend: Box<dyn KernelBackend>,
    waiters: Vec<Waiter>,
    routes: HashMap<IpAddr, IpAddr>,
    tap: Option<Tap>,
    config: Option<Config>,
    /// Files for ticket keys, suspended sessions and the key log (none for the demo).
    state: resume::StateFiles,
    /// `resume` commands (and automatic resumes at start) whose outcome is not known yet.
    attempts: Vec<resume::Attempt>,
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
    /// addresses), create the engine with the bound ports and load `connections`. Must be called
    /// inside a tokio runtime (it spawns the socket readers).
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
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        let mut ep = Endpoint::new(
            daemon.endpoint_config(port, natt_port),
            seed,
            Instant::now(),
            unix_now(),
        );
        ep.set_connections(connections)?;

        let (udp_tx, udp_rx) = mpsc::channel(1024);
        let mut readers = Vec::new();
        let mut local_addrs = Vec::new();
        for s in &sockets {
            let local = s.local_addr().map_err(|source| DriverError::Bind {
                addr: SocketAddr::new(daemon.listen[0], 0),
                source,
            })?;
            local_addrs.push(local);
            readers.push(tokio::spawn(read_loop(s.clone(), local, udp_tx.clone())));
        }
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        tracing::info!(
            listen = ?local_addrs,
            backend = backend.name(),
            connections = ep.connections().len(),
            "tessera driver started"
        );
        let driver = Driver {
            ep,
            sockets,
            local_addrs,
            udp_rx,
            cmd_rx,
            readers,
            backend,
            waiters: Vec::new(),
            routes: HashMap::new(),
            tap: None,
            config: None,
            state: resume::StateFiles::default(),
            attempts: Vec::new(),
        };
        Ok((driver, DriverHandle { tx: cmd_tx }))
    }

    /// Remember the configuration this driver was built from, so `reload` can re-read it.
    pub fn set_config(&mut self, config: Config) {
        self.config = Some(config);
    }

    /// Observe every datagram sent and received.
    pub fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    /// The bound socket addresses (IKE and NAT-T per listen address).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The engine (for status in tests and the demo).
    pub fn endpoint(&self) -> &Endpoint {
        &self.ep
    }

    /// Run until every [`DriverHandle`] is dropped.
    pub async fn run(mut self) {
        // Work queued before the loop (automatic resumes at start) goes out now.
        self.flush().await;
        loop {
            let deadline = self.ep.poll_timeout();
            // The sleep future is built even when the branch is disabled.
            let wake = deadline.map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(3600),
                tokio::time::Instant::from_std,
            );
            tokio::select! {
                Some(r) = self.udp_rx.recv() => self.receive(r),
                cmd = self.cmd_rx.recv() => match cmd {
                    Some((req, tx)) => self.command(req, tx),
                    None => break,
                },
                _ = tokio::time::sleep_until(wake), if deadline.is_some() => {
                    self.ep.handle_timeout(Instant::now());
                }
            }
            self.flush().await;
        }
        tracing::info!("tessera driver stopped");
    }

    fn receive(&mut self, r: Received) {
        let local = self.real_local(r.local, r.remote);
        if let Some(tap) = &mut self.tap {
            tap(Direction::In, local, r.remote, &r.data);
        }
        log_datagram(Direction::In, local, r.remote, &r.data);
        self.note_resume_answer(&r.data);
        self.ep.handle(Instant::now(), local, r.remote, &r.data);
    }

    /// A wildcard socket does not tell which of our addresses a datagram reached; the engine
    /// needs it (NAT detection hashes it, replies leave from it). Without IP_PKTINFO we take the
    /// address the routing table uses towards the sender, which is the same on symmetric routes.
    fn real_local(&mut self, local: SocketAddr, remote: SocketAddr) -> SocketAddr {
        if !local.ip().is_unspecified() {
            return local;
        }
        if let Some(ip) = self.routes.get(&remote.ip()) {
            return SocketAddr::new(*ip, local.port());
        }
        match crate::config::source_address_for(remote) {
            Ok(ip) => {
                if self.routes.len() >= MAX_ROUTES {
                    self.routes.clear();
                }
                self.routes.insert(remote.ip(), ip);
                SocketAddr::new(ip, local.port())
            }
            Err(_) => local,
        }
    }

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

    async fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            if let Some(tap) = &mut self.tap {
                tap(Direction::Out, t.local, t.remote, &t.contents);
            }
            log_datagram(Direction::Out, t.local, t.remote, &t.contents);
            match self.socket_for(t.local) {
                Some(s) => {
                    if let Err(e) = s.send_to(&t.contents, t.remote).await {
                        tracing::warn!(local = %t.local, remote = %t.remote, error = %e, "send failed");
                    }
                }
                None => {
                    tracing::warn!(local = %t.local, remote = %t.remote, "no socket for local address; datagram dropped");
                }
            }
        }
        while let Some(ev) = self.ep.poll_event() {
            self.event(ev);
        }
    }
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

async fn read_loop(sock: Arc<UdpSocket>, local: SocketAddr, tx: mpsc::Sender<Received>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, remote)) => {
                let r = Received {
                    local,
                    remote,
                    data: buf[..n].to_vec(),
                };
                if tx.send(r).await.is_err() {
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
