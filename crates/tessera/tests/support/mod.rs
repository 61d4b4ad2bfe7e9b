//! Real-peer test harness: runs third-party IKEv2 daemons (strongSwan's charon, libreswan's
//! pluto 4.10 and 5.2) with private configuration, sockets and logs, so integration tests can
//! drive them against each other and against the Tessera daemon ([`daemon::Tessera`]);
//! [`interop`] renders one connection description into both ends' configurations.
//!
//! Use from an integration test with `mod support;` and start every peer test with
//! [`require_peer`]. The peers are installed by `scripts/install-peers.sh` (as root); the facts
//! behind the recipes (non-ESP marker, NAT-T float, pidfile clash, pluto's hard-coded addconn)
//! are documented with the code that works around them.
//!
//! Environment: `CI=true` turns a missing peer into a test failure instead of a skip;
//! `TESSERA_KEEP_PEER_DIRS=1` keeps every daemon's private directory (configs, logs) for
//! debugging and prints its path; `TESSERA_CHARON_CLASSIC=1` runs `/usr/lib/ipsec/charon` (in a
//! private mount namespace) even where `charon-systemd` is installed.
#![allow(dead_code, unreachable_pub, unused_imports)] // each test binary uses a different subset of the harness

pub mod capture;
pub mod charon;
pub mod daemon;
pub mod interop;
pub mod netns;
pub mod pluto;
pub mod pluto5;
pub mod ports;
pub mod process;
pub mod swanctl_pretty;

use std::io::Write;
use std::path::Path;

pub use charon::{Charon, ChildSaInfo, Initiate, SaInfo, StrongswanConf};
pub use daemon::Tessera;
pub use netns::{Netns, NetnsPair};
pub use pluto::{Libreswan, Pluto, PlutoConf, PlutoState};
pub use ports::{PortPair, free_udp_port_pair};

/// Everything that can go wrong while driving a peer. Messages carry the command and its
/// output, so a failing test explains itself.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// An I/O operation failed (file, spawn, socket).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A command exited unsuccessfully.
    #[error("`{cmd}` failed ({status}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}")]
    Command {
        /// The command line.
        cmd: String,
        /// Exit status description.
        status: String,
        /// Captured stdout.
        stdout: String,
        /// Captured stderr.
        stderr: String,
    },
    /// Something did not happen within its deadline.
    #[error("timed out after {secs:.1}s: {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The deadline in seconds.
        secs: f64,
    },
    /// A daemon died or misbehaved; the message includes the tail of its log.
    #[error("{0}")]
    Peer(String),
}

/// Result type of the harness.
pub type Result<T> = std::result::Result<T, HarnessError>;

/// Wraps an `std::io::Error` with a description of the operation.
pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let what = what.into();
    move |source| HarnessError::Io { what, source }
}

/// The third-party peers (and host capabilities) a test can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// strongSwan 5.9.8 charon (`charon-systemd` or `/usr/lib/ipsec/charon`) plus `swanctl`.
    Charon,
    /// libreswan 4.10 unpacked in `/opt/libreswan` (needs network namespaces).
    Pluto4,
    /// libreswan 5.2, RFC 5723 capable, built into `/opt/libreswan5` (needs network namespaces).
    Pluto5,
    /// tshark 4.0 (IKEv2 dissector incl. exchange 38 and TICKET_* notifies).
    Tshark,
    /// Root privileges and `ip`/`unshare`: network and mount namespaces.
    Netns,
}

/// strongSwan's systemd-flavoured daemon: no pidfile, so several can run side by side.
pub const CHARON_SYSTEMD: &str = "/usr/sbin/charon-systemd";
/// The classic charon: hard-codes `/var/run/charon.pid`, so it needs a private `/run`.
pub const CHARON_CLASSIC: &str = "/usr/lib/ipsec/charon";
/// strongSwan's control tool.
pub const SWANCTL: &str = "/usr/sbin/swanctl";
/// tshark.
pub const TSHARK: &str = "/usr/bin/tshark";
/// NSS's certutil, used to create pluto's (empty) NSS database.
pub const CERTUTIL: &str = "/usr/bin/certutil";

fn is_root() -> bool {
    // /proc/self/status "Uid:\treal\teffective\t..."; avoids libc and unsafe.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn exists(p: &str) -> bool {
    Path::new(p).exists()
}

/// Why `peer` cannot run here, or `None` when it can.
pub fn peer_unavailable(peer: Peer) -> Option<String> {
    let netns = || {
        if !is_root() {
            return Some("not root (network/mount namespaces and daemons need root)".to_string());
        }
        ["/usr/sbin/ip", "/usr/bin/unshare"]
            .iter()
            .find(|p| !exists(p))
            .map(|p| format!("{p} missing"))
    };
    let files = |need: &[&str]| {
        need.iter()
            .find(|p| !exists(p))
            .map(|p| format!("{p} missing"))
    };
    match peer {
        Peer::Netns => netns(),
        Peer::Charon => {
            if !exists(CHARON_SYSTEMD) && !exists(CHARON_CLASSIC) {
                return Some(format!(
                    "neither {CHARON_SYSTEMD} nor {CHARON_CLASSIC} exists"
                ));
            }
            files(&[SWANCTL])
                .or_else(|| (!is_root()).then(|| "not root (charon needs CAP_NET_ADMIN)".into()))
        }
        Peer::Pluto4 | Peer::Pluto5 => {
            let v = if peer == Peer::Pluto4 {
                Libreswan::V4_10
            } else {
                Libreswan::V5_2
            };
            let (pluto, whack, addconn) = (v.pluto(), v.whack(), v.addconn());
            files(&[pluto.as_str(), whack.as_str(), addconn.as_str(), CERTUTIL]).or_else(netns)
        }
        Peer::Tshark => files(&[TSHARK]),
    }
}

/// Whether the test may use `peer`. When it is missing: with `CI=true` this panics (a CI run must
/// exercise every peer); otherwise it prints a `SKIPPED` line and returns `false`, and the test
/// should return early.
pub fn require_peer(peer: Peer) -> bool {
    let Some(why) = peer_unavailable(peer) else {
        return true;
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci {
        panic!(
            "peer {peer:?} required by {test} is unavailable: {why}; run scripts/install-peers.sh as root"
        );
    }
    // Written to the real stderr (not eprintln!, which the test runner captures) so that a
    // skipped peer test is visible in the normal test output.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: peer {peer:?} unavailable: {why} \
         (scripts/install-peers.sh as root installs it; CI=true makes this fail)"
    );
    false
}

/// Whether private directories should be kept after the test (`TESSERA_KEEP_PEER_DIRS=1`).
pub fn keep_dirs() -> bool {
    std::env::var("TESSERA_KEEP_PEER_DIRS").is_ok_and(|v| v == "1" || v == "true")
}

/// Creates a private directory for a daemon: `/tmp/tessera-<kind>-<name>-XXXXXX`. Unix socket
/// paths are limited to 108 bytes, hence the short prefix and the name limit.
pub(crate) fn private_dir(kind: &str, name: &str) -> Result<tempfile::TempDir> {
    if name.is_empty()
        || name.len() > 24
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(HarnessError::Peer(format!(
            "peer name {name:?} must be 1-24 characters of [A-Za-z0-9_-]"
        )));
    }
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("tessera-{kind}-{name}-"))
        .tempdir()
        .map_err(io_err("creating a private directory"))?;
    if keep_dirs() {
        dir.disable_cleanup(true);
        eprintln!("keeping {kind} {name} directory {}", dir.path().display());
    }
    Ok(dir)
}

/// The last `n` lines of `text`, for error messages.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
