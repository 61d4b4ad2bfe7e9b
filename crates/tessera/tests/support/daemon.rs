//! The Tessera daemon under test (`tessera daemon --foreground`), with a private directory for
//! its configuration, control socket, state and log, optionally inside a [`Netns`] (to face
//! pluto on 500/4500). Driven through the `tessera` CLI with `--socket`, exactly as an operator
//! would; the control socket is a file, so the CLI runs from the host namespace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tessera::control::{ListJson, SaJson};

use super::netns::Netns;
use super::ports::PortPair;
use super::process::{Daemon, Output, run, wait_until};
use super::{HarnessError, Result, io_err, private_dir, tail};

/// The binary Cargo built for this package's integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_tessera");

/// Placeholder replaced by the daemon's private directory in the configuration text.
pub const DIR: &str = "@DIR@";

/// The test PKI of `tests/fixtures/interop` (see its `gen.sh`): an ECDSA P-256 CA and end-entity
/// certificates `tessera.test` and `charon.test` (SAN dNSName).
pub fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/interop")
        .join(file)
}

/// A `[daemon]` section listening on `listen` with the given ports (`None` = 500/4500) and
/// short retransmission timers so failures show quickly. `remote_natt_port` is the peer's
/// NAT-T port (charon's `port_nat_t` on loopback).
pub fn daemon_section(listen: &str, ports: Option<PortPair>, remote_natt_port: u16) -> String {
    let (ike, natt) = ports.map_or((500, 4500), |p| (p.ike, p.natt));
    format!(
        r#"[daemon]
listen = ["{listen}"]
port = {ike}
natt_port = {natt}
remote_natt_port = {remote_natt_port}
control_socket = "{DIR}/tessera.sock"
state_dir = "{DIR}/state"
log_level = "debug"
retransmit_timeout = "500ms"
retransmit_tries = 3
"#
    )
}

/// A running Tessera daemon. Dropping it stops the process (by PID); if the test is panicking,
/// the log tail is printed first.
#[derive(Debug)]
pub struct Tessera {
    name: String,
    daemon: Daemon,
    dir: tempfile::TempDir,
    ns: Option<Arc<Netns>>,
}

impl Tessera {
    /// Writes `config` (with [`DIR`] replaced), starts the daemon (inside `ns` if given) and
    /// waits until its control socket answers.
    pub fn start(name: &str, ns: Option<&Arc<Netns>>, config: &str) -> Result<Tessera> {
        let dir = private_dir("tessera", name)?;
        let d = dir
            .path()
            .to_str()
            .ok_or_else(|| HarnessError::Peer("non-UTF-8 temp dir".into()))?
            .to_string();
        let path = dir.path().join("tessera.toml");
        std::fs::write(&path, config.replace(DIR, &d)).map_err(io_err("writing tessera.toml"))?;
        let mut cmd = match ns {
            Some(ns) => ns.command(BIN),
            None => Command::new(BIN),
        };
        cmd.args(["daemon", "--foreground", "--config"]).arg(&path);
        let daemon = Daemon::spawn(
            &format!("tessera {name}"),
            &mut cmd,
            &dir.path().join("daemon.log"),
        )?;
        let mut t = Tessera {
            name: name.to_string(),
            daemon,
            dir,
            ns: ns.cloned(),
        };
        let sock = t.socket();
        wait_until(
            &format!("tessera {name} control socket"),
            Duration::from_secs(10),
            || {
                if let Some(st) = t.daemon.exited()? {
                    return Err(HarnessError::Peer(format!(
                        "tessera {name} exited ({st}) during start-up:\n{}",
                        tail(&t.log(), 30)
                    )));
                }
                Ok((sock.exists() && t.cli(&["list"])?.status.success()).then_some(()))
            },
        )?;
        Ok(t)
    }

    /// The private directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("tessera.sock")
    }

    /// The namespace the daemon runs in, if any.
    pub fn netns(&self) -> Option<&Arc<Netns>> {
        self.ns.as_ref()
    }

    /// Runs `tessera <args> --socket <ours>` (60 s deadline), whatever its exit status.
    pub fn cli(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = Command::new(BIN);
        cmd.args(args).arg("--socket").arg(self.socket());
        run(&mut cmd, Duration::from_secs(60))
    }

    /// Like [`Tessera::cli`] but a failure is an error carrying the output and the log tail.
    pub fn cli_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.cli(args)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(HarnessError::Command {
                cmd: format!("tessera {} (daemon {})", args.join(" "), self.name),
                status: out.status.to_string(),
                stdout: out.stdout,
                stderr: format!(
                    "{}\n--- daemon log tail\n{}",
                    out.stderr,
                    tail(&self.log(), 40)
                ),
            })
        }
    }

    /// `tessera list --json`: IKE SAs and suspended sessions.
    pub fn list(&self) -> Result<ListJson> {
        let json = self.cli_ok(&["list", "--json"])?;
        serde_json::from_str(&json)
            .map_err(|e| HarnessError::Peer(format!("tessera list --json: {e}: {json}")))
    }

    /// The IKE SAs of `tessera list --json`.
    pub fn sas(&self) -> Result<Vec<SaJson>> {
        Ok(self.list()?.sas)
    }

    /// Waits until `tessera list --json` satisfies `cond`; returns the listing.
    pub fn wait_sas(
        &self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&[SaJson]) -> bool,
    ) -> Result<Vec<SaJson>> {
        wait_until(&format!("tessera {}: {what}", self.name), timeout, || {
            let sas = self.sas()?;
            Ok(cond(&sas).then_some(sas))
        })
    }

    /// The daemon's log (stdout and stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read(self.dir.path().join("daemon.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the log has a line containing every one of `needles`.
    pub fn wait_for_log_line(&self, needles: &[&str], timeout: Duration) -> Result<()> {
        wait_until(
            &format!("tessera {} log line with {needles:?}", self.name),
            timeout,
            || {
                Ok(self
                    .log()
                    .lines()
                    .any(|l| needles.iter().all(|n| l.contains(n)))
                    .then_some(()))
            },
        )
    }

    /// Whether the daemon process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.daemon.exited(), Ok(None))
    }
}

impl Drop for Tessera {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- tessera {} log tail ({}):\n{}",
                self.name,
                self.dir.path().display(),
                tail(&self.log(), 60)
            );
        }
        self.daemon.stop(Duration::from_secs(3));
    }
}
