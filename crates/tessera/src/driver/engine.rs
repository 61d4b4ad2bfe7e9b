//! One engine shard: a task that owns one [`Endpoint`] and its channels (datagrams routed to
//! it, control commands, messages from the other shards) and its timer.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use super::*;

/// A control client waiting for the outcome of a command.
pub(super) enum Waiter {
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

/// What a shard receives from, and sends to, the rest of the driver.
pub(super) struct Channels {
    pub(super) udp_rx: mpsc::Receiver<Received>,
    pub(super) cmd_rx: mpsc::Receiver<ShardCommand>,
    pub(super) peer_rx: mpsc::UnboundedReceiver<PeerMsg>,
    /// Every shard's peer channel, by index (this one's included). Unbounded so that two shards
    /// sending to each other never wait on each other; the messages are rare (one per resumed
    /// session whose old SA lives elsewhere, one per key rotation).
    pub(super) peers: Vec<mpsc::UnboundedSender<PeerMsg>>,
}

/// One shard.
pub(super) struct Engine {
    pub(super) index: usize,
    pub(super) ep: Endpoint,
    io: Arc<Sockets>,
    ch: Channels,
    pub(super) backend: SharedBackend,
    pub(super) waiters: Vec<Waiter>,
    routes: HashMap<IpAddr, IpAddr>,
    pub(super) tap: Option<Arc<Mutex<Tap>>>,
    pub(super) config: Option<Config>,
    /// Files for ticket keys, suspended sessions and the key log (none for the demo).
    pub(super) state: resume::StateFiles,
    /// `resume` commands (and automatic resumes at start) whose outcome is not known yet.
    pub(super) attempts: Vec<resume::Attempt>,
}

impl Engine {
    pub(super) fn new(
        index: usize,
        ep: Endpoint,
        io: Arc<Sockets>,
        ch: Channels,
        backend: SharedBackend,
    ) -> Engine {
        Engine {
            index,
            ep,
            io,
            ch,
            backend,
            waiters: Vec::new(),
            routes: HashMap::new(),
            tap: None,
            config: None,
            state: resume::StateFiles::default(),
            attempts: Vec::new(),
        }
    }

    /// Number of shards.
    pub(super) fn shards(&self) -> usize {
        self.ch.peers.len()
    }

    /// Queue a message for shard `to` (a shard that has stopped no longer needs it).
    pub(super) fn send_peer(&self, to: usize, msg: PeerMsg) {
        if let Some(tx) = self.ch.peers.get(to) {
            let _ = tx.send(msg);
        }
    }

    /// Run until every [`DriverHandle`] is dropped.
    pub(super) async fn run(mut self) {
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
                Some(r) = self.ch.udp_rx.recv() => self.receive(r),
                cmd = self.ch.cmd_rx.recv() => match cmd {
                    Some(c) => self.shard_command(c),
                    None => break,
                },
                Some(m) = self.ch.peer_rx.recv() => self.peer(m),
                _ = tokio::time::sleep_until(wake), if deadline.is_some() => {
                    self.ep.handle_timeout(Instant::now());
                }
            }
            self.flush().await;
        }
        tracing::debug!(shard = self.index, "engine shard stopped");
    }

    fn receive(&mut self, r: Received) {
        let local = self.real_local(r.local, r.remote);
        if let Some(tap) = &self.tap {
            if let Ok(mut tap) = tap.lock() {
                tap(Direction::In, local, r.remote, &r.data);
            }
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

    pub(super) async fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            if let Some(tap) = &self.tap {
                if let Ok(mut tap) = tap.lock() {
                    tap(Direction::Out, t.local, t.remote, &t.contents);
                }
            }
            log_datagram(Direction::Out, t.local, t.remote, &t.contents);
            match self.io.socket_for(t.local) {
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

#[cfg(test)]
impl Engine {
    /// Test support: handle the messages other shards queued for this one.
    pub(super) fn drain_peers(&mut self) -> usize {
        let mut n = 0;
        while let Ok(m) = self.ch.peer_rx.try_recv() {
            self.peer(m);
            n += 1;
        }
        n
    }
}
