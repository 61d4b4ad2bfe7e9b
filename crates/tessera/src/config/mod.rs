//! The daemon's TOML configuration (modelled on swanctl.conf): parsing, validation, and
//! conversion into the engine's [`ConnectionConfig`]s.
//!
//! Every error names the file and, where the TOML parser knows the span of the offending value,
//! the line: `tessera.toml:12: unknown algorithm "aes999" in proposal "aes999-sha256"`.
//!
//! A commented example with every key is [`EXAMPLE`] (`src/config/example.toml`).

mod build;
mod proposal;
mod raw;
#[cfg(test)]
mod tests;
mod value;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ike_proto::{ConnectionConfig, EndpointConfig};

pub(crate) use build::source_address_for;
pub use proposal::{parse_esp, parse_ike};
pub use value::parse_duration;

/// A commented example configuration showing every key (it is parsed by the unit tests).
pub const EXAMPLE: &str = include_str!("example.toml");

/// A configuration that cannot be used: file, line (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// 1-based line of the offending value, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Daemon-wide settings (`[daemon]`).
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonConfig {
    /// Addresses to bind.
    pub listen: Vec<IpAddr>,
    /// IKE port (0 = any free port, for tests and the demo).
    pub port: u16,
    /// NAT-T port (0 = any free port).
    pub natt_port: u16,
    /// The peers' NAT-T port.
    pub remote_natt_port: u16,
    /// Control socket path.
    pub control_socket: PathBuf,
    /// Directory for persistent state.
    pub state_dir: PathBuf,
    /// Log file when running in the background (default `<state_dir>/tessera.log`).
    pub log_file: PathBuf,
    /// Half-open SAs above which cookies are demanded (split evenly between the `workers`
    /// shards, at least 1 each).
    pub cookie_threshold: usize,
    /// Hard limit on half-open SAs (split like `cookie_threshold`).
    pub half_open_limit: usize,
    /// First retransmission timeout.
    pub retransmit_timeout: Duration,
    /// Retransmissions before giving up.
    pub retransmit_tries: u32,
    /// `tracing` filter directive (`info`, `debug`, `tessera=debug,ike_proto=info`, ...).
    pub log_level: String,
    /// The gateway's RFC 5723 ticket key ring (default `<state_dir>/ticket-keys`). Daemons that
    /// share this file resume each other's clients.
    pub ticket_key_file: PathBuf,
    /// How often the ticket key rotates (default 24 h; at least every ticket lifetime).
    pub ticket_key_rotation: Duration,
    /// Debugging aid: append every IKE SA's keys to this file as Wireshark
    /// `ikev2_decryption_table` lines. Off (`None`) by default.
    pub wireshark_keys: Option<PathBuf>,
    /// Largest UDP payload sent before encrypted messages are fragmented (RFC 7383).
    pub fragment_mtu: usize,
    /// Engine shards, one task each on a runtime with as many threads (`workers`; default: the
    /// available cores, at most [`MAX_WORKERS`]). Each shard owns the SAs whose SPIs name it.
    pub workers: usize,
}

/// The largest `[daemon] workers` accepted (SPIs name their shard in one octet; past a few
/// cores the engine is rarely the bottleneck).
pub const MAX_WORKERS: usize = 16;

/// `workers` when the file does not say: one per available core, at most [`MAX_WORKERS`].
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_WORKERS)
}

impl DaemonConfig {
    /// Engine settings for these daemon settings and the ports actually bound.
    pub fn endpoint_config(&self, port: u16, natt_port: u16) -> EndpointConfig {
        EndpointConfig {
            port,
            natt_port,
            remote_natt_port: self.remote_natt_port,
            cookie_threshold: self.cookie_threshold,
            half_open_limit: self.half_open_limit,
            retransmit_timeout: self.retransmit_timeout,
            retransmit_tries: self.retransmit_tries,
            export_keys: self.wireshark_keys.is_some(),
            fragment_mtu: self.fragment_mtu,
            ..EndpointConfig::default()
        }
    }
}

/// What the daemon does with a connection's suspended session
/// (`persist` and `auto_resume` in `[connections.NAME.resumption]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionPolicy {
    /// Keep the suspended session in `<state_dir>/sessions/NAME.session` so it survives a
    /// restart of the daemon.
    pub persist: bool,
    /// Resume the persisted session when the daemon starts.
    pub auto_resume: bool,
}

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Daemon settings.
    pub daemon: DaemonConfig,
    /// Connections, in file order, ready for [`ike_proto::Endpoint::set_connections`].
    pub connections: Vec<ConnectionConfig>,
    /// Session policies by connection name (connections without one have the default: memory
    /// only, no automatic resume).
    pub sessions: BTreeMap<String, SessionPolicy>,
}

impl Config {
    /// The session policy of connection `name`.
    pub fn session_policy(&self, name: &str) -> SessionPolicy {
        self.sessions.get(name).copied().unwrap_or_default()
    }
}

impl Config {
    /// Read and validate `path`. Relative paths inside it (certificates, sockets) are relative
    /// to the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        // The file holds PSKs: wipe our copy of the text once parsed.
        let text = zeroize::Zeroizing::new(text);
        Config::parse(&text, path)
    }

    /// Parse configuration text as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        build::build(text, path)
    }
}
