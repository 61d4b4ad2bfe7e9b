//! The glue between shards: which shard a datagram, a control request or a cross-shard message
//! goes to, and how the answers of several shards are merged into one.
//!
//! - Datagrams: [`ike_proto::route`] (our SPI names its shard; first messages by a hash).
//! - `initiate NAME`: the connection's home shard, [`home_shard`] (client SAs are few).
//! - `terminate`, `suspend`, `resume`, `rekey`, `dpd`, `request-ticket`: every shard that holds
//!   an SA, a suspended session or a pending resume of the connection (normally one; a gateway
//!   connection can have SAs in all), else the home shard, which answers with the right error.
//! - `list`, `reload`: all shards, answers merged.
//! - Persisted sessions loaded at start go to their connection's home shard.
//! - The old SA of a session resumed on another shard ([`Event::SupersededElsewhere`]) and the
//!   ticket key ring after a rotation ([`Event::TicketKeysRotated`], shard 0 only) travel on the
//!   peer channels as [`PeerMsg`].

use ike_crypto::SecretBytes;
use ike_proto::ticket::TicketKeyRing;

use super::*;

/// A control request for one shard.
pub(super) enum ShardCommand {
    /// Carry out a request.
    Request(Request, oneshot::Sender<Response>),
    /// Does the shard hold an SA, a suspended session or a pending resume of this connection?
    Holds(String, oneshot::Sender<bool>),
}

/// A message from one shard to another.
pub(super) enum PeerMsg {
    /// Remove the old SA of a session resumed on another shard (RFC 5723 §4.3.4).
    Superseded {
        /// Initiator SPI of the old SA.
        spi_i: [u8; 8],
        /// Responder SPI of the old SA.
        spi_r: [u8; 8],
    },
    /// The ticket key ring after shard 0 rotated it ([`TicketKeyRing::to_bytes`]).
    TicketKeys(SecretBytes),
}

/// The shard (`< shards`) that handles a received datagram.
pub(super) fn shard_of_datagram(payload: &[u8], remote: SocketAddr, shards: usize) -> usize {
    let shards = shard_count(shards);
    // `shard_count` keeps it within u8; `route` answers below it.
    usize::from(ike_proto::route(payload, remote, shards as u8)) % shards
}

/// A connection's home shard: where `initiate` starts it and persisted sessions are loaded.
/// FNV-1a, so the choice does not depend on the standard library's hasher.
pub(super) fn home_shard(connection: &str, shards: usize) -> usize {
    let h = connection.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h % shards.max(1) as u64) as usize
}

/// Sends control requests to a running [`Driver`], fanned out to its shards. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DriverHandle {
    shards: Arc<[mpsc::Sender<ShardCommand>]>,
}

impl DriverHandle {
    pub(super) fn new(shards: Vec<mpsc::Sender<ShardCommand>>) -> DriverHandle {
        DriverHandle {
            shards: shards.into(),
        }
    }

    /// Submit a request and wait for the answer (which, for waited commands, comes once the
    /// outcome is known).
    pub async fn request(&self, req: Request) -> Response {
        let n = self.shards.len();
        if n <= 1 {
            return self.ask(&[0], req).await;
        }
        let targets: Vec<usize> = match &req {
            Request::List | Request::Reload => (0..n).collect(),
            Request::Initiate { name, .. } => vec![home_shard(name, n)],
            Request::Terminate { name, .. }
            | Request::Dpd { name }
            | Request::Suspend { name }
            | Request::Resume { name, .. }
            | Request::Rekey { name, .. }
            | Request::RequestTicket { name } => {
                let holders = self.holders(name).await;
                if holders.is_empty() {
                    vec![home_shard(name, n)]
                } else {
                    holders
                }
            }
        };
        self.ask(&targets, req).await
    }

    /// Send `req` to every target shard at once, then merge their answers.
    async fn ask(&self, targets: &[usize], req: Request) -> Response {
        let mut pending = Vec::new();
        for &i in targets {
            let (tx, rx) = oneshot::channel();
            let Some(shard) = self.shards.get(i) else {
                continue;
            };
            if shard
                .send(ShardCommand::Request(req.clone(), tx))
                .await
                .is_err()
            {
                return Response::error("daemon is shutting down");
            }
            pending.push(rx);
        }
        let mut answers = Vec::new();
        for rx in pending {
            answers.push(
                rx.await
                    .unwrap_or_else(|_| Response::error("daemon dropped the request")),
            );
        }
        merge(&req, answers)
    }

    /// The shards holding anything of connection `name`.
    async fn holders(&self, name: &str) -> Vec<usize> {
        let mut pending = Vec::new();
        for (i, shard) in self.shards.iter().enumerate() {
            let (tx, rx) = oneshot::channel();
            if shard
                .send(ShardCommand::Holds(name.to_string(), tx))
                .await
                .is_ok()
            {
                pending.push((i, rx));
            }
        }
        let mut holders = Vec::new();
        for (i, rx) in pending {
            if rx.await.unwrap_or(false) {
                holders.push(i);
            }
        }
        holders
    }
}

/// One answer from the answers of several shards. A single answer is passed through unchanged
/// (so one shard behaves exactly like an unsharded daemon).
pub(super) fn merge(req: &Request, mut answers: Vec<Response>) -> Response {
    if answers.len() <= 1 {
        return answers
            .pop()
            .unwrap_or_else(|| Response::error("daemon is shutting down"));
    }
    if matches!(req, Request::Reload) {
        // Every shard loaded the same file: the first failure, else the first answer.
        return match answers.iter().position(|a| !a.ok) {
            Some(i) => answers.swap_remove(i),
            None => answers.swap_remove(0),
        };
    }
    let join = |f: &dyn Fn(&Response) -> Option<&String>| -> Option<String> {
        let parts: Vec<&str> = answers
            .iter()
            .filter_map(|a| f(a).map(String::as_str))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    let collect = |f: &dyn Fn(&Response) -> Option<&Vec<SaJson>>| -> Option<Vec<SaJson>> {
        let all: Vec<&Vec<SaJson>> = answers.iter().filter_map(f).collect();
        (!all.is_empty()).then(|| all.into_iter().flatten().cloned().collect())
    };
    let suspended = {
        let all: Vec<_> = answers
            .iter()
            .filter_map(|a| a.suspended.as_ref())
            .collect();
        (!all.is_empty()).then(|| {
            let mut v: Vec<_> = all.into_iter().flatten().cloned().collect();
            v.sort_by(|a, b| a.connection.cmp(&b.connection));
            v
        })
    };
    Response {
        ok: answers.iter().all(|a| a.ok),
        error: join(&|a| a.error.as_ref()),
        message: join(&|a| a.message.as_ref()),
        sas: collect(&|a| a.sas.as_ref()),
        suspended,
        resumed: answers.iter().find_map(|a| a.resumed),
        fallback_reason: answers.iter().find_map(|a| a.fallback_reason.clone()),
    }
}

impl Engine {
    pub(super) fn shard_command(&mut self, c: ShardCommand) {
        match c {
            ShardCommand::Request(req, tx) => self.command(req, tx),
            ShardCommand::Holds(name, tx) => {
                let _ = tx.send(self.holds(&name));
            }
        }
    }

    fn holds(&self, name: &str) -> bool {
        self.ep.list().iter().any(|s| s.connection == name)
            || self.ep.suspended_sessions().any(|s| s.connection == name)
            || self.attempts.iter().any(|a| a.connection == name)
    }

    pub(super) fn peer(&mut self, m: PeerMsg) {
        match m {
            PeerMsg::Superseded { spi_i, spi_r } => {
                if !self.ep.delete_superseded(Instant::now(), spi_i, spi_r) {
                    tracing::debug!(
                        shard = self.index,
                        spi_i = spi_hex(&spi_i),
                        "old SA of a resumed session already gone"
                    );
                }
            }
            PeerMsg::TicketKeys(bytes) => match TicketKeyRing::from_bytes(bytes.expose()) {
                Ok(ring) => self.ep.set_ticket_keys(ring),
                Err(e) => {
                    tracing::error!(shard = self.index, error = %e, "bad ticket key ring copy")
                }
            },
        }
    }

    /// Event::SupersededElsewhere: the shard named by the old responder SPI removes it.
    pub(super) fn forward_superseded(&self, spi_i: [u8; 8], spi_r: [u8; 8]) {
        let n = self.shards();
        let to = usize::from(ike_proto::config::Shard::of_spi(&spi_r, n as u8));
        self.send_peer(to, PeerMsg::Superseded { spi_i, spi_r });
    }

    /// After shard 0 rotated (or adopted) the ticket key ring: copy it to the other shards.
    pub(super) fn copy_ticket_keys(&self) {
        let Some(ring) = self.ep.ticket_keys() else {
            return;
        };
        for to in (0..self.shards()).filter(|i| *i != self.index) {
            self.send_peer(to, PeerMsg::TicketKeys(ring.to_bytes()));
        }
    }
}

#[cfg(test)]
mod tests;
