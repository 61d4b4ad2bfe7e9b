//! `tessera-load`: an IKEv2 load generator for Tessera (issue 5).
//!
//! - `tessera-load run`: N concurrent initiators from one process (one tokio runtime, one
//!   engine and UDP socket per worker) against a responder on loopback; bounded in count and
//!   time; prints one JSON line with SAs/s, p50/p99 latency, failures and, given
//!   `--responder-pid`, the responder's CPU seconds per 1,000 SAs.
//! - `tessera-load serve`: a built-in responder (the engine behind UDP sockets, optionally
//!   sharded by SPI) for resumption runs and sharding experiments.
//! - `tessera-load pki`: write a CA and the gateway's ECDSA P-256 certificate for the daemon.
#![forbid(unsafe_code)]

mod client;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use ike_bench::fixtures::{self, Auth, Pki};
use ike_proto::IkeProposal;

#[derive(Parser)]
#[command(
    name = "tessera-load",
    about = "IKEv2 load generator and built-in responder"
)]
struct Cli {
    /// Tokio worker threads (default: every core).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Suite {
    /// aes128gcm16-prfsha256-x25519 (the strongSwan comparison).
    Gcm128X25519,
    /// aes256gcm16-prfsha256-x25519.
    Gcm256X25519,
    /// aes128-sha256-prfsha256-ecp256.
    Cbc128Ecp256,
}

impl Suite {
    fn proposal(self) -> IkeProposal {
        match self {
            Suite::Gcm128X25519 => fixtures::suite_gcm128_x25519(),
            Suite::Gcm256X25519 => fixtures::suite_gcm256_x25519(),
            Suite::Cbc128Ecp256 => fixtures::suite_cbc128_ecp256(),
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive handshakes or resumptions against a responder and report.
    Run {
        /// What to measure.
        #[arg(long, value_enum, default_value = "psk")]
        mode: client::Mode,
        /// The responder's IKE address (loopback only).
        #[arg(long, default_value = "127.0.0.1:15500")]
        target: SocketAddr,
        /// The responder's NAT-T port.
        #[arg(long, default_value_t = 15501)]
        natt_port: u16,
        /// Handshakes (or resumptions) in the timed phase; each uses its own client identity.
        #[arg(long, default_value_t = 5000)]
        count: u64,
        /// Handshakes in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// UDP sockets (engines) the initiators are spread over.
        #[arg(long, default_value_t = 16)]
        sockets: usize,
        /// Stop starting new handshakes after this many seconds (per phase).
        #[arg(long, default_value_t = 120)]
        max_time: u64,
        /// A handshake not done after this many seconds counts as failed.
        #[arg(long, default_value_t = 15)]
        timeout: u64,
        /// The responder's pid, for its CPU seconds per 1,000 SAs.
        #[arg(long)]
        responder_pid: Option<u32>,
        /// Directory written by `tessera-load pki` (cert mode).
        #[arg(long)]
        pki_dir: Option<PathBuf>,
        /// IKE proposal.
        #[arg(long, value_enum, default_value = "gcm128-x25519")]
        suite: Suite,
        /// Number of the first client identity (c<N>.load.test); vary it between runs
        /// against one responder to keep identities distinct.
        #[arg(long, default_value_t = 0)]
        first_client: u64,
    },
    /// Run the built-in responder until killed.
    Serve {
        /// IKE address to listen on.
        #[arg(long, default_value = "127.0.0.1:15500")]
        listen: SocketAddr,
        /// NAT-T port on the same address.
        #[arg(long, default_value_t = 15501)]
        natt_port: u16,
        /// Engine shards (tasks), split by a hash of SPIi.
        #[arg(long, default_value_t = 1)]
        shards: usize,
        /// Directory written by `tessera-load pki` (cert mode); PSK otherwise.
        #[arg(long)]
        pki_dir: Option<PathBuf>,
        /// IKE proposal.
        #[arg(long, value_enum, default_value = "gcm128-x25519")]
        suite: Suite,
    },
    /// Write ca.crt.pem, ca.key.pem, gw.crt.pem, gw.key.pem (ECDSA P-256) into a directory.
    Pki {
        /// Output directory.
        dir: PathBuf,
    },
}

fn auth(pki_dir: Option<PathBuf>) -> Result<Auth, String> {
    match pki_dir {
        Some(d) => Ok(Auth::Cert(Arc::new(
            Pki::load(&d).map_err(|e| e.to_string())?,
        ))),
        None => Ok(Auth::Psk),
    }
}

fn main() {
    let cli = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(t) = cli.threads {
        rt.worker_threads(t.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera-load: tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let r = rt.block_on(async {
        match cli.cmd {
            Cmd::Run {
                mode,
                target,
                natt_port,
                count,
                concurrency,
                sockets,
                max_time,
                timeout,
                responder_pid,
                pki_dir,
                suite,
                first_client,
            } => {
                let auth = match (mode, pki_dir) {
                    (client::Mode::Cert, None) => {
                        return Err("--mode cert needs --pki-dir".to_string());
                    }
                    (client::Mode::Cert, d) => auth(d)?,
                    _ => Auth::Psk,
                };
                let result = client::run(client::RunArgs {
                    mode,
                    target,
                    natt_port,
                    count,
                    concurrency: concurrency.max(1),
                    sockets,
                    max_time: Duration::from_secs(max_time),
                    handshake_timeout: Duration::from_secs(timeout),
                    responder_pid,
                    auth,
                    proposal: suite.proposal(),
                    first_client,
                })
                .await?;
                println!(
                    "{}",
                    serde_json::to_string(&result).map_err(|e| e.to_string())?
                );
                if result.completed == 0 {
                    return Err("no handshake completed".into());
                }
                Ok(())
            }
            Cmd::Serve {
                listen,
                natt_port,
                shards,
                pki_dir,
                suite,
            } => {
                serve::serve(serve::ServeArgs {
                    listen,
                    natt_port,
                    shards,
                    auth: auth(pki_dir)?,
                    proposal: suite.proposal(),
                })
                .await
            }
            Cmd::Pki { dir } => {
                let pki = Pki::generate().map_err(|e| e.to_string())?;
                pki.save(&dir)
                    .map_err(|e| format!("{}: {e}", dir.display()))
            }
        }
    });
    if let Err(e) = r {
        eprintln!("tessera-load: {e}");
        std::process::exit(1);
    }
}
