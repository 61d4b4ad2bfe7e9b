//! A built-in responder: the engine behind UDP sockets, with the engine split into `shards`
//! tasks by a hash of the initiator's SPI (every message of an IKE SA carries it). With one
//! shard this is the daemon's design (socket readers feed one engine task); with two it is a
//! prototype of the SPI sharding the daemon is to get, to measure what it buys on two cores.
//!
//! Limits of the prototype, which a real sharded daemon must solve (see BENCHMARKS.md):
//! the used-ticket log is per shard (a replayed ticket with a new SPIi can land on another
//! shard), the silent delete of a resumed session's old SA only finds it on the same shard,
//! and an IKE rekey's new SPIi hashes to an arbitrary shard.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ike_bench::fixtures::{self, Auth};
use ike_proto::ticket::TicketKeyRing;
use ike_proto::transmit::{Datagram, classify};
use ike_proto::{Endpoint, IkeProposal};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

struct Received {
    local: SocketAddr,
    remote: SocketAddr,
    data: Vec<u8>,
}

/// Settings of the built-in responder.
pub(crate) struct ServeArgs {
    pub(crate) listen: SocketAddr,
    pub(crate) natt_port: u16,
    pub(crate) shards: usize,
    pub(crate) auth: Auth,
    pub(crate) proposal: IkeProposal,
}

fn shard_of(data: &[u8], shards: usize) -> usize {
    let spi_i = match classify(data) {
        Datagram::Ike(b) if b.len() >= 8 => &b[..8],
        _ => return 0,
    };
    // FNV-1a over SPIi: cheap, and SPIs are random anyway.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in spi_i {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % shards as u64) as usize
}

async fn read_loop(sock: Arc<UdpSocket>, local: SocketAddr, shards: Vec<mpsc::Sender<Received>>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, remote)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let data = buf[..n].to_vec();
        let i = shard_of(&data, shards.len());
        if shards[i]
            .send(Received {
                local,
                remote,
                data,
            })
            .await
            .is_err()
        {
            return;
        }
    }
}

async fn shard(
    mut ep: Endpoint,
    sockets: Vec<(SocketAddr, Arc<UdpSocket>)>,
    mut rx: mpsc::Receiver<Received>,
) {
    loop {
        let wake = ep
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            r = rx.recv() => {
                let Some(r) = r else { return };
                ep.handle(Instant::now(), r.local, r.remote, &r.data);
                while let Ok(r) = rx.try_recv() {
                    ep.handle(Instant::now(), r.local, r.remote, &r.data);
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => ep.handle_timeout(Instant::now()),
        }
        while let Some(t) = ep.poll_transmit() {
            let sock = sockets
                .iter()
                .find(|(a, _)| a.port() == t.local.port())
                .map_or(&sockets[0].1, |(_, s)| s);
            let _ = sock.send_to(&t.contents, t.remote).await;
        }
        while ep.poll_event().is_some() {}
    }
}

/// Run until killed.
pub(crate) async fn serve(args: ServeArgs) -> Result<(), String> {
    let ike = UdpSocket::bind(args.listen)
        .await
        .map_err(|e| format!("bind {}: {e}", args.listen))?;
    let natt_addr = SocketAddr::new(args.listen.ip(), args.natt_port);
    let natt = UdpSocket::bind(natt_addr)
        .await
        .map_err(|e| format!("bind {natt_addr}: {e}"))?;
    let sockets: Vec<(SocketAddr, Arc<UdpSocket>)> = [ike, natt]
        .into_iter()
        .map(|s| (s.local_addr().expect("bound"), Arc::new(s)))
        .collect();
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let ring = TicketKeyRing::generate(unix, 86_400, &mut ChaCha20Rng::from_seed(seed)).to_bytes();
    let mut senders = Vec::new();
    let shards = args.shards.max(1);
    for _ in 0..shards {
        OsRng.fill_bytes(&mut seed);
        let mut ep = Endpoint::new(
            fixtures::load_endpoint_config(sockets[0].0.port(), sockets[1].0.port(), 1_000_000),
            seed,
            Instant::now(),
            unix,
        );
        ep.set_connections(vec![fixtures::gateway_conn(
            &args.auth,
            args.proposal.clone(),
        )])
        .map_err(|e| e.to_string())?;
        // Every shard holds the same ticket keys: a ticket sealed by one opens on any.
        ep.set_ticket_keys(TicketKeyRing::from_bytes(ring.expose()).map_err(|e| e.to_string())?);
        let (tx, rx) = mpsc::channel(4096);
        senders.push(tx);
        tokio::spawn(shard(ep, sockets.clone(), rx));
    }
    let mut readers = Vec::new();
    for (local, s) in &sockets {
        readers.push(tokio::spawn(read_loop(s.clone(), *local, senders.clone())));
    }
    drop(senders);
    println!(
        "tessera-load serve: listening on {} and {} with {shards} shard(s), pid {}",
        sockets[0].0,
        sockets[1].0,
        std::process::id()
    );
    for r in readers {
        let _ = r.await;
    }
    Ok(())
}
