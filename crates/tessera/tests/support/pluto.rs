//! libreswan's pluto as a test peer, inside a network namespace.
//!
//! Why the namespaces (peers survey, surprise 5): pluto binds UDP 500 and 4500 only (no
//! `--ikeport`), and at start-up it fork/execs a **hard-coded** `<IPSEC_EXECDIR>/addconn`. So each
//! pluto runs in its own network namespace and in a private mount namespace where that directory
//! is a bind mount of the unpacked (4.10) or self-built (5.2) tree — the recipe of
//! `start-pluto-netns.sh`. Everything else (config, secrets, NSS database, control socket, log)
//! lives in a private directory.
//!
//! libreswan 5.2 is the RFC 5723 peer (`session-resumption=yes`). This kernel has no ESP, so
//! IKE-only runs use its test impairments: `omit_v2_ike_auth_child` on an initiator,
//! `ignore_v2_ike_auth_child` on a responder before a resume only (peers-libreswan5.md §3); and
//! resume/initiate with `--asynchronous`. Connections should say `leftupdown=%disabled`
//! (5.2) so no updown script runs.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use super::netns::Netns;
use super::process::{Daemon, run_ok, wait_until};
use super::{CERTUTIL, HarnessError, Result, io_err, private_dir, tail};

/// Placeholder replaced by the daemon's private directory in the configuration texts.
pub const DIR: &str = "@DIR@";

/// Which libreswan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libreswan {
    /// Debian 12's 4.10, unpacked into /opt/libreswan (no RFC 5723).
    V4_10,
    /// 5.2 built from Debian trixie's orig tarball into /opt/libreswan5 (RFC 5723).
    V5_2,
}

impl Libreswan {
    /// Where the binaries are on this machine.
    pub fn src_execdir(self) -> &'static str {
        match self {
            Libreswan::V4_10 => "/opt/libreswan/usr/libexec/ipsec",
            Libreswan::V5_2 => "/opt/libreswan5/usr/local/libexec/ipsec",
        }
    }

    /// The compiled-in `IPSEC_EXECDIR` pluto execs addconn from.
    pub fn execdir(self) -> &'static str {
        match self {
            Libreswan::V4_10 => "/usr/libexec/ipsec",
            Libreswan::V5_2 => "/usr/local/libexec/ipsec",
        }
    }

    /// Path of pluto.
    pub fn pluto(self) -> String {
        format!("{}/pluto", self.src_execdir())
    }

    /// Path of whack.
    pub fn whack(self) -> String {
        format!("{}/whack", self.src_execdir())
    }

    /// Path of addconn.
    pub fn addconn(self) -> String {
        format!("{}/addconn", self.src_execdir())
    }
}

/// Configuration of one pluto. Texts may use [`DIR`].
#[derive(Debug, Clone)]
pub struct PlutoConf {
    /// Which libreswan.
    pub version: Libreswan,
    /// `plutodebug=` value (`none`, `base`, ...). `base` logs ~300 KB per handshake pair.
    pub plutodebug: String,
    /// Extra lines for `config setup`.
    pub setup: String,
    /// The `conn` sections.
    pub conns: String,
    /// ipsec.secrets contents.
    pub secrets: String,
}

impl PlutoConf {
    /// A configuration with `conns` and a single PSK for every peer.
    pub fn psk(version: Libreswan, conns: &str, psk: &str) -> PlutoConf {
        PlutoConf {
            version,
            plutodebug: "none".to_string(),
            setup: String::new(),
            conns: conns.to_string(),
            secrets: format!("%any %any : PSK \"{psk}\"\n"),
        }
    }

    /// The ipsec.conf text (with [`DIR`] placeholders).
    pub fn render(&self) -> String {
        // 4.10 is built with DNSSEC support; keep it from looking up anything
        let dnssec = if self.version == Libreswan::V4_10 {
            "    dnssec-enable=no\n"
        } else {
            ""
        };
        format!(
            "# private ipsec.conf written by the Tessera test harness
config setup
    logfile={DIR}/pluto.log
    logappend=no
    logtime=yes
    dumpdir={DIR}/run
    plutodebug={debug}
    ikev1-policy=drop
{dnssec}{setup}
{conns}
",
            debug = self.plutodebug,
            setup = self.setup,
            conns = self.conns,
        )
    }

    /// Names of the `conn` sections (without `%default`).
    pub fn conn_names(&self) -> Vec<String> {
        self.conns
            .lines()
            .filter_map(|l| l.strip_prefix("conn "))
            .map(|n| n.trim().to_string())
            .filter(|n| !n.starts_with('%'))
            .collect()
    }
}

/// A running pluto. Dropping it stops the daemon (by PID) and removes its directory; the
/// namespace goes when its last user is gone.
#[derive(Debug)]
pub struct Pluto {
    name: String,
    version: Libreswan,
    daemon: Daemon,
    dir: tempfile::TempDir,
    ns: Arc<Netns>,
}

/// One state line of `whack --status` / `--showstates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlutoState {
    /// State serial (`#N`).
    pub serial: u64,
    /// Connection name with instance suffix, e.g. `resp` (from `"resp"[2]`).
    pub conn: String,
    /// Raw state name, e.g. `ESTABLISHED_IKE_SA` (5.2) or `STATE_V2_ESTABLISHED_IKE_SA` (4.10).
    pub state: String,
    /// The whole line.
    pub line: String,
}

impl PlutoState {
    /// Whether this is an established IKE SA.
    pub fn is_established_ike(&self) -> bool {
        self.state.ends_with("ESTABLISHED_IKE_SA")
    }

    /// Whether this is an established Child SA.
    pub fn is_established_child(&self) -> bool {
        self.state.ends_with("ESTABLISHED_CHILD_SA")
    }
}

/// Parses the `#N: "conn"... STATE (...)` lines of whack output (4.10 prefixes `000 `).
pub fn parse_states(text: &str) -> Vec<PlutoState> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.strip_prefix("000 ").unwrap_or(raw).trim();
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((serial, rest)) = rest.split_once(": \"") else {
            continue;
        };
        let Ok(serial) = serial.parse::<u64>() else {
            continue;
        };
        let Some((conn, rest)) = rest.split_once('"') else {
            continue;
        };
        let state = rest.split_whitespace().find(|t| {
            t.len() > 3
                && t.contains('_')
                && t.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if let Some(state) = state {
            out.push(PlutoState {
                serial,
                conn: conn.to_string(),
                state: state.to_string(),
                line: line.to_string(),
            });
        }
    }
    out
}

impl Pluto {
    /// Starts pluto in `ns` and waits until its control socket answers and every `conn` of
    /// `conf` is loaded.
    pub fn start(ns: &Arc<Netns>, name: &str, conf: &PlutoConf) -> Result<Pluto> {
        let dir = private_dir("pluto", name)?;
        let d = dir
            .path()
            .to_str()
            .ok_or_else(|| HarnessError::Peer("non-UTF-8 temp dir".into()))?
            .to_string();
        for sub in ["nss", "run", "ipsec.d"] {
            std::fs::create_dir_all(dir.path().join(sub)).map_err(io_err("creating pluto dirs"))?;
        }
        let write = |f: &str, text: &str| {
            std::fs::write(dir.path().join(f), text.replace(DIR, &d))
                .map_err(io_err(format!("writing {f}")))
        };
        write("ipsec.conf", &conf.render())?;
        write("ipsec.secrets", &conf.secrets)?;
        run_ok(
            Command::new(CERTUTIL).args(["-N", "-d", &format!("sql:{d}/nss"), "--empty-password"]),
            Duration::from_secs(20),
        )?;

        let v = conf.version;
        let mut cmd = ns.command("unshare");
        cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(
                // tmpfs over the parent of the compiled-in execdir, then bind our tree there
                r#"P=$(dirname "$1"); mkdir -p "$P" && mount -t tmpfs tmpfs "$P" && mkdir "$1" &&
                   mount --bind "$0" "$1" &&
                   exec "$1/pluto" --config "$2/ipsec.conf" --secretsfile "$2/ipsec.secrets" \
                        --nssdir "$2/nss" --rundir "$2/run" --ipsecdir "$2/ipsec.d" --nofork"#,
            )
            .args([v.src_execdir(), v.execdir(), &d]);
        let daemon = Daemon::spawn(
            &format!("pluto {name}"),
            &mut cmd,
            &dir.path().join("pluto.stdout"),
        )?;
        let mut pluto = Pluto {
            name: name.to_string(),
            version: v,
            daemon,
            dir,
            ns: ns.clone(),
        };
        pluto.wait_ready(&conf.conn_names())?;
        Ok(pluto)
    }

    fn wait_ready(&mut self, conns: &[String]) -> Result<()> {
        let ctl = self.ctl();
        wait_until(
            &format!("pluto {} control socket and conns {conns:?}", self.name),
            Duration::from_secs(15),
            || {
                if let Some(st) = self.daemon.exited()? {
                    return Err(HarnessError::Peer(format!(
                        "pluto {} exited ({st}) during start-up:\n{}\n{}",
                        self.name,
                        tail(&self.read("pluto.stdout"), 20),
                        tail(&self.log(), 20)
                    )));
                }
                if !Path::new(&ctl).exists() {
                    return Ok(None);
                }
                let Ok(status) = self.whack(&["--status"]) else {
                    return Ok(None);
                };
                Ok(conns
                    .iter()
                    .all(|c| status.contains(&format!("\"{c}\"")))
                    .then_some(()))
            },
        )
    }

    fn read(&self, file: &str) -> String {
        std::fs::read(self.dir.path().join(file))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The peer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which libreswan this is.
    pub fn version(&self) -> Libreswan {
        self.version
    }

    /// The daemon's PID.
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// The namespace pluto runs in.
    pub fn netns(&self) -> &Arc<Netns> {
        &self.ns
    }

    /// The private directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The control socket path.
    pub fn ctl(&self) -> String {
        self.dir.path().join("run/pluto.ctl").display().to_string()
    }

    /// Runs `whack --ctlsocket <ctl> <args>` (from the host namespace: the socket is a file).
    pub fn whack(&self, args: &[&str]) -> Result<String> {
        let ctl = self.ctl();
        let out = run_ok(
            Command::new(self.version.whack())
                .args(["--ctlsocket", &ctl])
                .args(args),
            Duration::from_secs(15),
        )?;
        Ok(out.combined())
    }

    /// `whack --status`.
    pub fn status(&self) -> Result<String> {
        self.whack(&["--status"])
    }

    /// The states (IKE and Child SAs) listed by `whack --status`.
    pub fn states(&self) -> Result<Vec<PlutoState>> {
        Ok(parse_states(&self.status()?))
    }

    /// Waits until `conn` has an established IKE SA; returns it.
    pub fn wait_established_ike(&self, conn: &str, timeout: Duration) -> Result<PlutoState> {
        wait_until(
            &format!("pluto {}: established IKE SA for {conn}", self.name),
            timeout,
            || {
                Ok(self
                    .states()?
                    .into_iter()
                    .find(|s| s.is_established_ike() && s.conn == conn))
            },
        )
    }

    /// `whack --name <conn> --initiate --asynchronous` (returns at once; poll [`Pluto::states`]).
    pub fn initiate(&self, conn: &str) -> Result<String> {
        self.whack(&["--name", conn, "--initiate", "--asynchronous"])
    }

    /// `whack --name <conn> --suspend` (5.2: delete the IKE SA, keep the resumption ticket).
    pub fn suspend(&self, conn: &str) -> Result<String> {
        self.whack(&["--name", conn, "--suspend"])
    }

    /// `whack --impair <what>` (5.2 test impairments, e.g. `omit_v2_ike_auth_child`).
    pub fn impair(&self, what: &str) -> Result<String> {
        self.whack(&["--impair", what])
    }

    /// The length of the stored RFC 5723 ticket of `conn` (5.2), from
    /// `"conn":   session resume ticket: length: 856 bytes; ...`; `None` when there is none.
    pub fn resume_ticket_len(&self, conn: &str) -> Result<Option<usize>> {
        let status = self.status()?;
        let prefix = format!("\"{conn}\":");
        Ok(status
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .find_map(|l| l.split_once("session resume ticket: length: "))
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok()))
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.read("pluto.log")
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<()> {
        wait_until(
            &format!("pluto {} log line {needle:?}", self.name),
            timeout,
            || Ok(self.log().contains(needle).then_some(())),
        )
    }
}

impl Drop for Pluto {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- pluto {} log tail ({}):\n{}",
                self.name,
                self.dir.path().display(),
                tail(&self.log(), 40)
            );
        }
        self.daemon.stop(Duration::from_secs(3));
    }
}
