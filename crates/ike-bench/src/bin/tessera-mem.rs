//! `tessera-mem`: heap bytes per IKE SA, per suspended session, ticket and session-file sizes,
//! and the gateway's heap with many suspended clients (issue 5, item 4).
//!
//! A counting global allocator (stats_alloc) reports requested bytes; malloc's own per-chunk
//! overhead (about 8-16 bytes per allocation) is not included, so allocation counts are
//! printed too. Everything runs in-process on the sans-IO engine (no sockets).
//!
//! Method:
//! 1. Gateway: heap after its creation vs after N full handshakes (PSK, one Child SA each) with
//!    the clients' endpoints dropped → bytes per established IKE SA with its Child SA.
//! 2. Clients: heap of the client endpoints before vs after their SAs were suspended, with the
//!    gateway dropped → bytes per suspended session; plus `SuspendedSession::encode` length
//!    (the on-disk file) and the ticket length, for FQDN and RFC 822 identities.
//! 3. Gateway with M suspended clients: its heap before any client vs after M clients got a
//!    ticket and suspended and their old SAs on the gateway ended (as DPD would end them) →
//!    must equal the baseline: tickets are carried by the clients, the gateway keeps nothing.
//! 4. Then R of them resume: bytes per resumed SA including the used-ticket log entry.
#![forbid(unsafe_code)]

use std::alloc::System;
use std::time::{Duration, Instant};

use clap::Parser;
use ike_bench::fixtures::{self, Auth};
use ike_bench::inproc::{self, CLIENT_IP, GW_IP};
use ike_bench::scenario::UNIX;
use ike_proto::ticket::TicketKeyRing;
use ike_proto::{Endpoint, Identity};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap: (bytes, allocations).
fn live() -> (i64, i64) {
    let s = GLOBAL.stats();
    (
        s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64,
        s.allocations as i64 - s.deallocations as i64,
    )
}

#[derive(Parser)]
#[command(
    name = "tessera-mem",
    about = "Memory per IKE SA, per suspended session, per ticket"
)]
struct Args {
    /// Established SAs for the per-SA figure.
    #[arg(long, default_value_t = 10_000)]
    sas: u64,
    /// Suspended clients for the flat-gateway figure.
    #[arg(long, default_value_t = 100_000)]
    suspended: u64,
    /// How many of those resume afterwards (per-resumption cost incl. the used-ticket log).
    #[arg(long, default_value_t = 10_000)]
    resume: u64,
}

/// Clients per client endpoint (connection lookup by name is linear in the engine).
const BATCH: u64 = 1000;

struct Clients {
    eps: Vec<Endpoint>,
}

fn client_endpoints(first: u64, n: u64, now: Instant, tickets: bool) -> Clients {
    let mut eps = Vec::new();
    let mut i = first;
    while i < first + n {
        let k = BATCH.min(first + n - i);
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&i.to_le_bytes());
        let mut ep = Endpoint::new(
            fixtures::load_endpoint_config(500, 4500, 1_000_000),
            seed,
            now,
            UNIX,
        );
        let conns = (i..i + k)
            .map(|n| {
                let mut c = fixtures::client_conn(
                    &format!("c{n}"),
                    n,
                    &Auth::Psk,
                    fixtures::suite_gcm128_x25519(),
                    CLIENT_IP,
                    GW_IP,
                    500,
                );
                c.resumption.request_tickets = tickets;
                c
            })
            .collect();
        ep.set_connections(conns).expect("valid client connections");
        eps.push(ep);
        i += k;
    }
    Clients { eps }
}

fn gateway(now: Instant) -> Endpoint {
    let mut gw = Endpoint::new(
        fixtures::load_endpoint_config(500, 4500, 10_000_000),
        [42; 32],
        now,
        UNIX,
    );
    gw.set_connections(vec![fixtures::gateway_conn(
        &Auth::Psk,
        fixtures::suite_gcm128_x25519(),
    )])
    .expect("valid gateway connection");
    let ring = TicketKeyRing::generate(UNIX - 60, 86_400, &mut ChaCha20Rng::from_seed([7; 32]));
    gw.set_ticket_keys(ring);
    gw
}

/// Run `start` on every connection of every client endpoint against `gw`, one at a time.
fn handshakes(
    now: Instant,
    clients: &mut Clients,
    gw: &mut Endpoint,
    resume: bool,
    limit: u64,
) -> u64 {
    let (mut ce, mut ge) = (Vec::new(), Vec::new());
    let mut done = 0;
    for ep in &mut clients.eps {
        let names: Vec<String> = ep.connections().iter().map(|c| c.name.clone()).collect();
        for name in names {
            if done >= limit {
                return done;
            }
            let ok = if resume {
                ep.resume(now, &name).is_ok()
            } else {
                ep.initiate(now, &name).is_ok()
            };
            if ok {
                inproc::exchange(now, ep, gw, None, &mut ce, &mut ge);
                done += 1;
            }
            ce.clear();
            ge.clear();
        }
    }
    done
}

fn suspend_all(now: Instant, clients: &mut Clients) -> (u64, Vec<usize>, Vec<usize>) {
    let (mut n, mut files, mut tickets) = (0, Vec::new(), Vec::new());
    for ep in &mut clients.eps {
        let names: Vec<String> = ep.connections().iter().map(|c| c.name.clone()).collect();
        for name in names {
            if let Ok(s) = ep.suspend(now, &name) {
                n += 1;
                if files.len() < 1000 {
                    files.push(s.encode().len());
                    tickets.push(s.ticket.len());
                }
            }
        }
        while ep.poll_event().is_some() {}
    }
    (n, files, tickets)
}

/// End every SA of the gateway as an unanswered DPD would: a local delete whose requests go
/// unanswered until the retransmissions give up. Returns the clock afterwards.
fn end_all(now: Instant, gw: &mut Endpoint) -> Instant {
    let _ = gw.terminate(now, fixtures::GW_CONN);
    let mut t = now;
    for _ in 0..200 {
        while gw.poll_transmit().is_some() {}
        while gw.poll_event().is_some() {}
        if gw.sa_count() == 0 {
            break;
        }
        t += Duration::from_secs(30);
        gw.handle_timeout(t);
    }
    while gw.poll_transmit().is_some() {}
    while gw.poll_event().is_some() {}
    t
}

fn established(gw: &Endpoint) -> usize {
    gw.list()
        .iter()
        .filter(|s| s.state == ike_proto::SaState::Established)
        .count()
}

/// Sizes for one client whose identity is `id` (a ticket embeds both identities).
fn sizes_for_identity(now: Instant, id: &str) -> (usize, usize) {
    let mut gw = gateway(now);
    let mut c = client_endpoints(0, 1, now, true);
    c.eps[0]
        .set_connections(vec![{
            let mut conn = fixtures::client_conn(
                "c0",
                0,
                &Auth::Psk,
                fixtures::suite_gcm128_x25519(),
                CLIENT_IP,
                GW_IP,
                500,
            );
            conn.local_id = Identity::parse(id).expect("valid identity");
            conn
        }])
        .expect("valid");
    handshakes(now, &mut c, &mut gw, false, 1);
    let s = c.eps[0].suspend(now, "c0").expect("suspend");
    (s.ticket.len(), s.encode().len())
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Heap bytes owned by `x`: the live-heap drop when it is dropped.
fn owned<T>(x: T) -> i64 {
    let before = live().0;
    drop(x);
    before - live().0
}

/// Phase 3: a gateway that served `n` clients, whose SAs then ended (as DPD would end them
/// once the clients went quiet). With `tickets`, every client got a ticket and suspended, so
/// `n` resumable sessions exist; without, none. Returns the gateway's heap afterwards.
fn after_clients(now: Instant, first: u64, n: u64, tickets: bool) -> (i64, u64, usize) {
    let mut clients = client_endpoints(first, n, now, tickets);
    let mut gw = gateway(now);
    handshakes(now, &mut clients, &mut gw, false, u64::MAX);
    let suspended = if tickets {
        suspend_all(now, &mut clients).0
    } else {
        0
    };
    end_all(now, &mut gw);
    let left = gw.sa_count();
    drop(clients);
    (owned(gw), suspended, left)
}

fn main() {
    let args = Args::parse();
    let now = Instant::now();
    let t0 = Instant::now();
    // Also the warm-up: one handshake initialises every lazily built global (aws-lc).
    let (fqdn_ticket, fqdn_file) = sizes_for_identity(now, "c123456.load.test");
    let (email_ticket, email_file) =
        sizes_for_identity(now, "firstname.lastname@department.example.com");
    let empty_gw = owned(gateway(now));

    // 1: per established SA (with its Child SA) on the gateway.
    let mut clients = client_endpoints(1_000_000, args.sas, now, true);
    let mut gw = gateway(now);
    let n = handshakes(now, &mut clients, &mut gw, false, u64::MAX);
    assert_eq!(established(&gw) as u64, n, "every handshake established");
    // 2: per suspended session on the client: suspend, take the sessions out, measure them.
    let (suspended, files, tickets) = suspend_all(now, &mut clients);
    let mut sessions = Vec::new();
    for ep in &mut clients.eps {
        let names: Vec<String> = ep.connections().iter().map(|c| c.name.clone()).collect();
        sessions.extend(names.iter().filter_map(|n| ep.take_suspended(n)));
    }
    let session_inline = std::mem::size_of::<ike_proto::suspend::SuspendedSession>();
    let sessions_n = sessions.len() as i64;
    let sessions_heap = owned(sessions);
    drop(clients);
    let gw_allocs_before = live().1;
    let gw_heap = owned(gw);
    let gw_allocs = gw_allocs_before - live().1;

    // 3: the gateway with M suspended clients, against a control without tickets.
    let (with_tickets, m, left_t) = after_clients(now, 2_000_000, args.suspended, true);
    let (without_tickets, _, left_c) =
        after_clients(now, 2_000_000 + args.suspended, args.suspended, false);

    // 4: per resumption on the gateway (resumed SA + used-ticket log entry).
    let (control, _, _) = after_clients(now, 4_000_000, args.resume, false);
    let mut gw = gateway(now);
    let mut clients = client_endpoints(3_000_000, args.resume, now, true);
    handshakes(now, &mut clients, &mut gw, false, u64::MAX);
    suspend_all(now, &mut clients);
    let t = end_all(now, &mut gw);
    let resumed = handshakes(t, &mut clients, &mut gw, true, u64::MAX);
    let resumed_est = established(&gw);
    let used = gw.used_tickets();
    drop(clients);
    let resumed_heap = owned(gw);

    let out = json!({
        "empty_gateway_heap_bytes": empty_gw,
        "gateway_sas": n,
        "gateway_bytes_per_established_sa_with_child": ((gw_heap - empty_gw) as f64 / n as f64).round(),
        "gateway_allocations_per_sa": (gw_allocs as f64 / n as f64).round(),
        "suspended_sessions": suspended,
        "client_bytes_per_suspended_session": (sessions_heap as f64 / sessions_n.max(1) as f64).round() as i64 + session_inline as i64,
        "client_suspended_session_inline_bytes": session_inline,
        "session_file_bytes_median": median(files),
        "ticket_bytes_median": median(tickets),
        "ticket_bytes_fqdn_id": fqdn_ticket,
        "session_file_bytes_fqdn_id": fqdn_file,
        "ticket_bytes_email_id": email_ticket,
        "session_file_bytes_email_id": email_file,
        "flat_suspended_clients": m,
        "flat_gateway_sas_left": [left_t, left_c],
        "flat_gateway_heap_with_suspended_clients_bytes": with_tickets,
        "flat_gateway_heap_control_no_tickets_bytes": without_tickets,
        "flat_difference_bytes": with_tickets - without_tickets,
        "resumed": resumed,
        "resumed_established": resumed_est,
        "used_ticket_log_entries": used,
        "gateway_bytes_per_resumed_sa_incl_used_ticket_entry": ((resumed_heap - control) as f64 / resumed.max(1) as f64).round(),
        "seconds": t0.elapsed().as_secs_f64(),
    });
    println!("{out}");
}
