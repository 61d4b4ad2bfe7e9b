//! The initiator side: `sockets` workers, each one UDP socket and one [`Endpoint`] holding
//! `count / sockets` client connections with distinct identities, `concurrency / sockets`
//! handshakes in flight per worker. All workers run on one tokio runtime.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ike_bench::fixtures::{self, Auth};
use ike_bench::procstat;
use ike_bench::summary::{RunResult, percentile};
use ike_proto::{Endpoint, Event, IkeProposal};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::{OsRng, RngCore};
use tokio::net::UdpSocket;
use tokio::sync::Barrier;

/// What a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Mode {
    /// Full handshakes (IKE_SA_INIT + IKE_AUTH with one Child SA), PSK.
    Psk,
    /// Full handshakes with ECDSA P-256 certificates on both sides.
    Cert,
    /// Resumptions (IKE_SESSION_RESUME + IKE_AUTH with one Child SA) of PSK sessions that an
    /// untimed first phase established and suspended.
    Resume,
}

/// Settings of one run.
pub(crate) struct RunArgs {
    pub(crate) mode: Mode,
    pub(crate) target: SocketAddr,
    pub(crate) natt_port: u16,
    pub(crate) count: u64,
    pub(crate) concurrency: usize,
    pub(crate) sockets: usize,
    pub(crate) max_time: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) responder_pid: Option<u32>,
    pub(crate) auth: Auth,
    pub(crate) proposal: IkeProposal,
    pub(crate) first_client: u64,
}

/// What one worker saw in one phase.
#[derive(Default)]
struct PhaseOut {
    latencies: Vec<Duration>,
    failures: u64,
    attempted: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Worker {
    ep: Endpoint,
    sock: UdpSocket,
    local: SocketAddr,
    names: Vec<String>,
    in_flight: usize,
    timeout: Duration,
    buf: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    Initiate,
    Resume,
}

impl Worker {
    async fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            // A full socket buffer shows up as a retransmission later; nothing else to do.
            let _ = self.sock.send_to(&t.contents, t.remote).await;
        }
    }

    /// Run `start` for every connection with `in_flight` at a time until each completed
    /// (ChildUp), failed (Closed) or timed out, or `deadline` passed (then no new ones start).
    async fn phase(&mut self, start: Start, deadline: Instant, bar: &ProgressBar) -> PhaseOut {
        let mut out = PhaseOut::default();
        let mut pending: HashMap<String, Instant> = HashMap::new();
        let mut next = 0;
        loop {
            // Completions first, so that their slots are refilled before waiting.
            while let Some(ev) = self.ep.poll_event() {
                match ev {
                    Event::ChildUp { connection, .. } => {
                        if let Some(t0) = pending.remove(&connection) {
                            out.latencies.push(t0.elapsed());
                            bar.inc(1);
                        }
                    }
                    Event::Closed { connection, .. } if pending.remove(&connection).is_some() => {
                        out.failures += 1;
                        bar.inc(1);
                    }
                    _ => {}
                }
            }
            let now = Instant::now();
            while pending.len() < self.in_flight && next < self.names.len() && now < deadline {
                let name = self.names[next].clone();
                next += 1;
                out.attempted += 1;
                let r = match start {
                    Start::Initiate => self.ep.initiate(now, &name).map(|_| ()),
                    Start::Resume => self.ep.resume(now, &name).map(|_| ()),
                };
                match r {
                    Ok(()) => {
                        pending.insert(name, now);
                    }
                    Err(_) => out.failures += 1,
                }
            }
            self.flush().await;
            let now = Instant::now();
            let before = pending.len();
            pending.retain(|_, t0| now.duration_since(*t0) < self.timeout);
            out.failures += (before - pending.len()) as u64;
            if pending.is_empty() && (next >= self.names.len() || now >= deadline) {
                return out;
            }
            let wake = self
                .ep
                .poll_timeout()
                .unwrap_or(now + Duration::from_millis(100))
                .min(now + Duration::from_millis(100));
            tokio::select! {
                r = self.sock.recv_from(&mut self.buf) => {
                    if let Ok((n, from)) = r {
                        self.ep.handle(Instant::now(), self.local, from, &self.buf[..n]);
                    }
                    // Drain what else is queued without going back to the reactor.
                    while let Ok((n, from)) = self.sock.try_recv_from(&mut self.buf) {
                        self.ep.handle(Instant::now(), self.local, from, &self.buf[..n]);
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    self.ep.handle_timeout(Instant::now());
                }
            }
        }
    }

    fn suspend_all(&mut self) -> u64 {
        let now = Instant::now();
        let mut ok = 0;
        for name in &self.names {
            if self.ep.suspend(now, name).is_ok() {
                ok += 1;
            }
        }
        while self.ep.poll_event().is_some() {}
        ok
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template(
            "{prefix:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_prefix(what.to_string());
    b
}

/// Run one measurement and return its result.
pub(crate) async fn run(args: RunArgs) -> Result<RunResult, String> {
    let sockets = args.sockets.max(1).min(args.count.max(1) as usize);
    let local_ip: IpAddr = if args.target.ip().is_loopback() {
        args.target.ip()
    } else {
        return Err("the load tool only targets loopback addresses".into());
    };
    let mut workers = Vec::with_capacity(sockets);
    let per = args.count / sockets as u64;
    let extra = args.count % sockets as u64;
    let mut n = args.first_client;
    let setup = bar(args.count, "setup");
    for w in 0..sockets {
        let sock = UdpSocket::bind(SocketAddr::new(local_ip, 0))
            .await
            .map_err(|e| format!("bind: {e}"))?;
        let local = sock.local_addr().map_err(|e| e.to_string())?;
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        let mut ep = Endpoint::new(
            fixtures::load_endpoint_config(local.port(), args.natt_port, 1_000_000),
            seed,
            Instant::now(),
            unix_now(),
        );
        let k = per + u64::from((w as u64) < extra);
        let mut conns = Vec::with_capacity(k as usize);
        let mut names = Vec::with_capacity(k as usize);
        for _ in 0..k {
            let name = format!("c{n}");
            conns.push(fixtures::client_conn(
                &name,
                n,
                &args.auth,
                args.proposal.clone(),
                local_ip,
                args.target.ip(),
                args.target.port(),
            ));
            names.push(name);
            n += 1;
            setup.inc(1);
        }
        ep.set_connections(conns).map_err(|e| e.to_string())?;
        let in_flight = (args.concurrency / sockets).max(1);
        workers.push(Worker {
            ep,
            sock,
            local,
            names,
            in_flight,
            timeout: args.handshake_timeout,
            buf: vec![0; 65536],
        });
    }
    setup.finish_and_clear();

    let mode = args.mode;
    let barrier = Arc::new(Barrier::new(sockets + 1));
    let deadline_after = args.max_time;
    let warm = if mode == Mode::Resume {
        Some(bar(args.count, "warm-up"))
    } else {
        None
    };
    let timed = bar(
        args.count,
        match mode {
            Mode::Psk => "psk",
            Mode::Cert => "cert",
            Mode::Resume => "resume",
        },
    );
    let mut handles = Vec::new();
    for mut w in workers {
        let barrier = barrier.clone();
        let warm = warm.clone();
        let timed = timed.clone();
        handles.push(tokio::spawn(async move {
            let mut suspended = 0;
            if let Some(warm) = &warm {
                // Untimed: establish every session (with a ticket) and suspend it.
                let d = Instant::now() + deadline_after;
                w.phase(Start::Initiate, d, warm).await;
                suspended = w.suspend_all();
            }
            barrier.wait().await;
            let start = if warm.is_some() {
                Start::Resume
            } else {
                Start::Initiate
            };
            let out = w
                .phase(start, Instant::now() + deadline_after, &timed)
                .await;
            (out, suspended, w)
        }));
    }
    barrier.wait().await;
    if let Some(w) = &warm {
        w.finish_and_clear();
    }
    let me = std::process::id();
    let (r0, l0) = (
        args.responder_pid.and_then(procstat::cpu_seconds),
        procstat::cpu_seconds(me),
    );
    let t0 = Instant::now();
    let mut all = PhaseOut::default();
    let mut suspended = 0;
    let mut keep = Vec::new();
    for h in handles {
        let (out, s, w) = h.await.map_err(|e| e.to_string())?;
        all.latencies.extend(out.latencies);
        all.failures += out.failures;
        all.attempted += out.attempted;
        suspended += s;
        keep.push(w); // SAs stay up until the report is out, as with strongSwan's load-tester
    }
    let secs = t0.elapsed().as_secs_f64();
    let (r1, l1) = (
        args.responder_pid.and_then(procstat::cpu_seconds),
        procstat::cpu_seconds(me),
    );
    timed.finish_and_clear();
    if mode == Mode::Resume && suspended < args.count {
        eprintln!(
            "tessera-load: only {suspended} of {} sessions could be suspended (no ticket?)",
            args.count
        );
    }
    all.latencies.sort();
    let completed = all.latencies.len() as u64;
    let resp_cpu = r0.zip(r1).map(|(a, b)| b - a);
    let per_sa = |cpu: f64| (completed > 0).then(|| cpu / completed as f64);
    let result = RunResult {
        mode: format!("{mode:?}").to_lowercase(),
        attempted: all.attempted,
        completed,
        failures: all.failures,
        seconds: secs,
        rate_per_s: if secs > 0.0 {
            completed as f64 / secs
        } else {
            0.0
        },
        p50_ms: percentile(&all.latencies, 50.0).as_secs_f64() * 1e3,
        p99_ms: percentile(&all.latencies, 99.0).as_secs_f64() * 1e3,
        concurrency: args.concurrency,
        responder_cpu_s: resp_cpu,
        responder_cpu_ms_per_sa: resp_cpu.and_then(per_sa).map(|s| s * 1e3),
        responder_cpu_s_per_1000: resp_cpu.and_then(per_sa).map(|s| s * 1e3),
        load_cpu_s: l0.zip(l1).map(|(a, b)| b - a),
        responder_rss_kib: args.responder_pid.and_then(procstat::rss_kib),
    };
    drop(keep);
    Ok(result)
}
