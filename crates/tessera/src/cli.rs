//! The `tessera` command line: the daemon itself, control commands over the socket, the demo.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::control::client::{ClientError, request};
use crate::control::{ListJson, Request, Response, SaJson};
use crate::driver::Driver;
use crate::kernel::NoneBackend;

/// Control socket used when neither `--socket` nor `--config` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/tessera/tessera.sock";

/// Tessera: an IKEv2 daemon built around RFC 5723 session resumption.
#[derive(Debug, Parser)]
#[command(name = "tessera", version)]
pub struct Cli {
    /// Control socket (default: the config's control_socket, else /run/tessera/tessera.sock).
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Configuration file (TOML).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (needs --config).
    Daemon {
        /// Stay in the foreground and log to stderr.
        #[arg(long)]
        foreground: bool,
    },
    /// Establish an IKE SA (and its first Child SA) for a connection.
    Initiate {
        /// Connection name.
        name: String,
        /// Seconds to wait for the outcome (0 = return at once).
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// Delete the IKE SAs of a connection and forget its suspended session.
    Terminate {
        /// Connection name.
        name: String,
        /// Seconds to wait until they are gone (0 = return at once).
        #[arg(long, default_value_t = 10)]
        wait: u64,
    },
    /// Show IKE SAs, their Child SAs and suspended sessions.
    List {
        /// Machine-readable output (SPIs as hex strings).
        #[arg(long)]
        json: bool,
    },
    /// Re-read the configuration file (the old one stays if the new one is broken).
    Reload,
    /// Send a liveness check on a connection's IKE SAs.
    Dpd {
        /// Connection name.
        name: String,
    },
    /// Suspend a connection's IKE SA, keeping only the gateway's ticket (RFC 5723).
    ///
    /// The SA and its Child SAs are removed without telling the gateway; the suspended session
    /// is saved to `<state_dir>/sessions/` when the connection says `persist = true`.
    Suspend {
        /// Connection name.
        name: String,
    },
    /// Resume a suspended session (IKE_SESSION_RESUME).
    ///
    /// Falls back to a full handshake if the ticket is refused or expired, and says why.
    Resume {
        /// Connection name.
        name: String,
        /// Seconds to wait until established (0 = return at once).
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// Rekey a connection's IKE SA (the default) and/or its Child SAs.
    Rekey {
        /// Connection name.
        name: String,
        /// Rekey the IKE SA.
        #[arg(long)]
        ike: bool,
        /// Rekey the Child SAs.
        #[arg(long)]
        child: bool,
    },
    /// Ask the gateway for a fresh resumption ticket (RFC 5723).
    RequestTicket {
        /// Connection name.
        name: String,
    },
    /// Run a responder and an initiator in this process and show an exchange over loopback.
    Demo,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("tessera: {msg}");
    ExitCode::FAILURE
}

/// Run the parsed command line.
pub fn main(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Daemon { foreground } => {
            let Some(path) = cli.config else {
                return fail("daemon needs --config FILE");
            };
            daemon(&path, foreground)
        }
        Command::Demo => {
            init_logging(&std::env::var("TESSERA_LOG").unwrap_or_else(|_| "warn".into()));
            let rt = match current_thread_runtime() {
                Ok(rt) => rt,
                Err(e) => return fail(e),
            };
            match rt.block_on(crate::demo::run()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("demo failed: {e}")),
            }
        }
        cmd => {
            let socket = match socket_path(cli.socket, cli.config.as_deref()) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            control(&socket, cmd)
        }
    }
}

fn socket_path(socket: Option<PathBuf>, config: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(s) = socket {
        return Ok(s);
    }
    match config {
        Some(c) => Config::load(c)
            .map(|c| c.daemon.control_socket)
            .map_err(|e| e.to_string()),
        None => Ok(PathBuf::from(DEFAULT_SOCKET)),
    }
}

fn control(socket: &Path, cmd: Command) -> ExitCode {
    let quick = Duration::from_secs(10);
    // A waited command may legitimately take the whole wait; allow a little slack for the reply.
    let slack = |secs: u64| Duration::from_secs(secs) + Duration::from_secs(2);
    let (req, timeout) = match &cmd {
        Command::Initiate { name, wait } => (
            Request::Initiate {
                name: name.clone(),
                wait: *wait > 0,
            },
            slack(*wait),
        ),
        Command::Terminate { name, wait } => (
            Request::Terminate {
                name: name.clone(),
                wait: *wait > 0,
            },
            slack(*wait),
        ),
        Command::List { .. } => (Request::List, quick),
        Command::Reload => (Request::Reload, quick),
        Command::Dpd { name } => (Request::Dpd { name: name.clone() }, quick),
        Command::Suspend { name } => (Request::Suspend { name: name.clone() }, quick),
        Command::Resume { name, wait } => (
            Request::Resume {
                name: name.clone(),
                wait: *wait > 0,
            },
            slack(*wait),
        ),
        Command::Rekey { name, ike, child } => (
            Request::Rekey {
                name: name.clone(),
                ike: *ike,
                child: *child,
            },
            quick,
        ),
        Command::RequestTicket { name } => (Request::RequestTicket { name: name.clone() }, quick),
        Command::Daemon { .. } | Command::Demo => unreachable!("handled by main"),
    };
    let resp = match request(socket, &req, timeout) {
        Ok(r) => r,
        Err(ClientError::Timeout(_)) => {
            return fail(format!(
                "{}: no outcome within the wait time (the SA may still be in progress)",
                command_name(&req)
            ));
        }
        Err(e) => return fail(e),
    };
    if !resp.ok {
        return fail(format!(
            "{}: {}",
            command_name(&req),
            resp.error.as_deref().unwrap_or("failed")
        ));
    }
    let list = || ListJson {
        sas: resp.sas.clone().unwrap_or_default(),
        suspended: resp.suspended.clone().unwrap_or_default(),
    };
    match cmd {
        Command::List { json: true } => match serde_json::to_string_pretty(&list()) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        },
        Command::List { json: false } => print!("{}", format_list(&list(), unix_now())),
        _ => print_outcome(&resp),
    }
    ExitCode::SUCCESS
}

fn command_name(r: &Request) -> &'static str {
    match r {
        Request::Initiate { .. } => "initiate",
        Request::Terminate { .. } => "terminate",
        Request::List => "list",
        Request::Reload => "reload",
        Request::Dpd { .. } => "dpd",
        Request::Suspend { .. } => "suspend",
        Request::Resume { .. } => "resume",
        Request::Rekey { .. } => "rekey",
        Request::RequestTicket { .. } => "request-ticket",
    }
}

fn print_outcome(r: &Response) {
    if let Some(m) = &r.message {
        println!("{m}");
    }
    if let Some(sas) = &r.sas {
        print!("{}", format_sas(sas, unix_now()));
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2025-06-01 12:00:00Z` for a Unix time (UTC; no time zone database needed).
pub fn utc(unix: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// `2025-06-01 12:00:00Z (in 7h59m)` / `(expired)`.
fn when(unix: u64, now: u64) -> String {
    if unix > now {
        format!(
            "{} (in {})",
            utc(unix),
            crate::driver::human_secs(unix - now)
        )
    } else {
        format!("{} (expired)", utc(unix))
    }
}

/// The human `list`: SAs, then suspended sessions (never tickets or keys).
pub fn format_list(l: &ListJson, now: u64) -> String {
    let mut o = format_sas(&l.sas, now);
    if !l.suspended.is_empty() {
        o.push_str("Suspended sessions:\n");
        for s in &l.suspended {
            let _ = writeln!(
                o,
                "  {}: peer {}, '{}' -> '{}'{}",
                s.connection,
                s.peer,
                s.local_id,
                s.remote_id,
                if s.persisted { ", persisted" } else { "" }
            );
            let _ = writeln!(o, "    suspended at   {}", utc(s.suspended_at));
            let _ = writeln!(o, "    ticket expires {}", when(s.ticket_expires, now));
        }
    }
    o
}

/// Human-readable SA listing in the style of `swanctl --list-sas`.
pub fn format_sas(sas: &[SaJson], now: u64) -> String {
    let mut o = String::new();
    for (n, s) in sas.iter().enumerate() {
        let (mi, mr) = if s.initiator { ("*", "") } else { ("", "*") };
        let _ = writeln!(
            o,
            "{}: #{}, {}, IKEv2, {}_i{mi} {}_r{mr}",
            s.connection,
            n + 1,
            s.state,
            s.spi_i,
            s.spi_r
        );
        let _ = writeln!(o, "  local  '{}' @ {}", s.local_id, s.local);
        let _ = writeln!(o, "  remote '{}' @ {}", s.remote_id, s.remote);
        let _ = writeln!(
            o,
            "  {}{}{}",
            s.proposal,
            if s.nat_detected { ", NAT detected" } else { "" },
            if s.resumed {
                ", resumed (RFC 5723)"
            } else {
                ""
            }
        );
        if let Some(t) = s.ticket_expires {
            let _ = writeln!(o, "  resumption ticket expires {}", when(t, now));
        }
        for c in &s.children {
            let _ = writeln!(o, "  {}: INSTALLED, {}, ESP:{}", c.name, c.mode, c.proposal);
            let _ = writeln!(o, "    in  {}", c.spi_in);
            let _ = writeln!(o, "    out {}", c.spi_out);
            let _ = writeln!(o, "    local  {}", c.local_ts.join(" "));
            let _ = writeln!(o, "    remote {}", c.remote_ts.join(" "));
        }
    }
    o
}

fn init_logging(filter: &str) {
    let filter = std::env::var("TESSERA_LOG").unwrap_or_else(|_| filter.to_string());
    let env = tracing_subscriber::EnvFilter::builder()
        .with_regex(false)
        .parse(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

fn current_thread_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// One engine shard per worker thread; a single shard keeps the single-threaded runtime.
fn daemon_runtime(workers: usize) -> Result<tokio::runtime::Runtime, String> {
    if workers <= 1 {
        return current_thread_runtime();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("tessera-worker")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn daemon(path: &Path, foreground: bool) -> ExitCode {
    let cfg = match Config::load(path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if !foreground {
        return background(path, &cfg);
    }
    init_logging(&cfg.daemon.log_level);
    let mkdir = {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&cfg.daemon.state_dir)
    };
    if let Err(e) = mkdir {
        return fail(format!(
            "cannot create state_dir {}: {e}",
            cfg.daemon.state_dir.display()
        ));
    }
    let rt = match daemon_runtime(cfg.daemon.workers) {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    match rt.block_on(run_daemon(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "daemon failed");
            fail(e)
        }
    }
}

async fn run_daemon(cfg: Config) -> Result<(), String> {
    // The control socket first: a second daemon must fail before touching any UDP port.
    let socket = cfg.daemon.control_socket.clone();
    let listener = crate::control::server::bind(&socket)
        .map_err(|e| format!("control socket {}: {e}", socket.display()))?;
    let (mut driver, handle) = match Driver::new(
        &cfg.daemon,
        cfg.connections.clone(),
        Box::new(NoneBackend::new()),
    )
    .await
    {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_file(&socket);
            return Err(e.to_string());
        }
    };
    if let Err(e) = driver.open_state(&cfg) {
        let _ = std::fs::remove_file(&socket);
        return Err(e.to_string());
    }
    driver.set_config(cfg);
    tracing::info!(socket = %socket.display(), "control socket ready");
    let server = tokio::spawn(crate::control::server::serve(listener, handle));
    let result = tokio::select! {
        () = driver.run() => Ok(()),
        s = shutdown_signal() => s.map(|name| tracing::info!(signal = name, "shutting down")),
    };
    server.abort();
    let _ = std::fs::remove_file(&socket);
    result
}

async fn shutdown_signal() -> Result<&'static str, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = term.recv() => Ok("SIGTERM"),
        _ = int.recv() => Ok("SIGINT"),
    }
}

/// Start `tessera daemon --foreground` detached (own process group, stdio to the log file) and
/// wait until its control socket answers, so errors such as a busy port reach this terminal.
fn background(path: &Path, cfg: &Config) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let socket = &cfg.daemon.control_socket;
    // Otherwise the running daemon's answer below would pass for the new one's.
    if request(socket, &Request::List, Duration::from_secs(1)).is_ok() {
        return fail(format!(
            "a daemon is already running on {}",
            socket.display()
        ));
    }
    let log = &cfg.daemon.log_file;
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot open log file {}: {e}", log.display())),
    };
    let (exe, abs) = match (std::env::current_exe(), std::path::absolute(path)) {
        (Ok(e), Ok(a)) => (e, a),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let stderr = match file.try_clone() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut child = match std::process::Command::new(exe)
        .arg("daemon")
        .arg("--config")
        .arg(&abs)
        .arg("--foreground")
        .stdin(std::process::Stdio::null())
        .stdout(file)
        .stderr(stderr)
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start the daemon: {e}")),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return fail(format!(
                "daemon exited ({status}) during startup; see {}",
                log.display()
            ));
        }
        if request(socket, &Request::List, Duration::from_secs(1)).is_ok() {
            println!(
                "tessera daemon started (pid {}), logging to {}",
                child.id(),
                log.display()
            );
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    fail(format!(
        "daemon (pid {}) did not open {} within 10 s; see {}",
        child.id(),
        socket.display(),
        log.display()
    ))
}
