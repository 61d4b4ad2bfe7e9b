//! strongSwan charon as a test peer: private `strongswan.conf`, private vici socket, private
//! log, driven with `swanctl --uri`.
//!
//! Binary choice (peers survey, surprise 4): Debian's `/usr/lib/ipsec/charon` hard-codes
//! `/var/run/charon.pid`, so a second instance dies with exit 66. `charon-systemd` has no
//! pidfile and is used when installed; otherwise the classic charon runs in a private mount
//! namespace with a tmpfs over `/run`. `charon-systemd` reads the `charon-systemd` section of
//! strongswan.conf and falls back to `charon`, so configs use `charon { }` for both.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use super::netns::Netns;
use super::ports::PortPair;
use super::process::{Daemon, Output, run, run_ok, wait_until};
use super::swanctl_pretty::{self, Section};
use super::{
    CHARON_CLASSIC, CHARON_SYSTEMD, HarnessError, Result, SWANCTL, io_err, private_dir, tail,
};

/// Placeholder replaced by the daemon's private directory in both configuration texts.
pub const DIR: &str = "@DIR@";

/// Generator for a private `strongswan.conf` (only what Debian's packages need, nothing from
/// /etc). The vici socket and log live in the private directory ([`DIR`]).
#[derive(Debug, Clone)]
pub struct StrongswanConf {
    /// Private IKE/NAT-T ports; `None` keeps 500/4500 (inside a network namespace only).
    pub ports: Option<PortPair>,
    /// The explicit plugin list (`charon.load`, with `load_modular = no`).
    pub load: String,
    /// Extra lines inserted in the `charon { }` section.
    pub charon_extra: String,
    /// Filelog levels (`default = 1` plus these subsystem overrides).
    pub log_levels: String,
}

impl StrongswanConf {
    /// Plugins of Debian's strongSwan 5.9.8 needed for PSK/x25519/ecp/AES-GCM/AES-CBC/SHA-2 IKE.
    pub const DEFAULT_PLUGINS: &'static str = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf \
         curve25519 aes sha1 sha2 hmac gcm gmp kernel-netlink socket-default vici";

    /// A charon on 127.0.0.1-reachable private ports. Remember the non-ESP marker and
    /// `mobike = no` (see [`super::ports`]).
    pub fn loopback(ports: PortPair) -> StrongswanConf {
        StrongswanConf {
            ports: Some(ports),
            ..StrongswanConf::default_ports()
        }
    }

    /// A charon on the standard ports 500/4500: only inside a network namespace.
    pub fn default_ports() -> StrongswanConf {
        StrongswanConf {
            ports: None,
            load: Self::DEFAULT_PLUGINS.to_string(),
            charon_extra: String::new(),
            log_levels: "ike = 2\n            cfg = 2\n            net = 1\n            enc = 1"
                .to_string(),
        }
    }

    /// The configuration text, with [`DIR`] placeholders.
    pub fn render(&self) -> String {
        let ports = match self.ports {
            Some(p) => format!("    port = {}\n    port_nat_t = {}\n", p.ike, p.natt),
            None => String::new(),
        };
        format!(
            "# private strongswan.conf written by the Tessera test harness
charon {{
{ports}    load_modular = no
    load = {load}
    install_routes = no
    install_virtual_ip = no
    # no policy routing table: nothing of the host's routing is touched
    routing_table = 0
    retransmit_tries = 2
{extra}
    plugins {{
        vici {{
            socket = unix://{DIR}/charon.vici
        }}
    }}
    # charon-systemd would also log to the (absent) journal
    journal {{
        default = -1
    }}
    filelog {{
        tessera {{
            path = {DIR}/charon.log
            time_format = %b %e %T
            default = 1
            {levels}
            flush_line = yes
            append = no
        }}
    }}
}}
swanctl {{
    socket = unix://{DIR}/charon.vici
}}
",
            load = self.load,
            extra = self.charon_extra,
            levels = self.log_levels,
        )
    }
}

/// What to initiate: an IKE SA alone (the connection should say `childless = force`) or a
/// Child SA (which also brings its IKE SA up).
#[derive(Debug, Clone, Copy)]
pub enum Initiate<'a> {
    /// `swanctl --initiate --ike NAME`.
    Ike(&'a str),
    /// `swanctl --initiate --child NAME`.
    Child(&'a str),
}

/// A running charon with its private directory. Dropping it stops the daemon (by PID) and
/// removes the directory; if the test is panicking, the log tail is printed first.
#[derive(Debug)]
pub struct Charon {
    name: String,
    daemon: Daemon,
    dir: tempfile::TempDir,
    ns: Option<Arc<Netns>>,
}

impl Charon {
    /// Starts a charon in the current network namespace. Both texts may use [`DIR`]; the
    /// strongswan.conf must place the vici socket at `unix://@DIR@/charon.vici` and the log at
    /// `@DIR@/charon.log` ([`StrongswanConf::render`] does). Waits until vici answers.
    pub fn start(name: &str, strongswan_conf: &str, swanctl_conf: &str) -> Result<Charon> {
        Self::start_inner(None, name, strongswan_conf, swanctl_conf)
    }

    /// Like [`Charon::start`], inside network namespace `ns` (e.g. on 500/4500 facing pluto).
    pub fn start_in(
        ns: &Arc<Netns>,
        name: &str,
        strongswan_conf: &str,
        swanctl_conf: &str,
    ) -> Result<Charon> {
        Self::start_inner(Some(ns.clone()), name, strongswan_conf, swanctl_conf)
    }

    fn start_inner(ns: Option<Arc<Netns>>, name: &str, ss: &str, sw: &str) -> Result<Charon> {
        let dir = private_dir("charon", name)?;
        let d = dir
            .path()
            .to_str()
            .ok_or_else(|| HarnessError::Peer("non-UTF-8 temp dir".into()))?
            .to_string();
        let ss = ss.replace(DIR, &d);
        let sw = sw.replace(DIR, &d);
        if !ss.contains(&format!("unix://{d}/charon.vici"))
            || !ss.contains(&format!("{d}/charon.log"))
        {
            return Err(HarnessError::Peer(
                "strongswan.conf must use socket = unix://@DIR@/charon.vici and path = @DIR@/charon.log".into(),
            ));
        }
        let write = |f: &str, text: &str| {
            std::fs::write(dir.path().join(f), text).map_err(io_err(format!("writing {f}")))
        };
        write("strongswan.conf", &ss)?;
        write("swanctl.conf", &sw)?;
        // swanctl --load-all looks for credential directories next to --file; create them so it
        // does not print a dozen "opening directory ... failed" lines.
        for sub in [
            "x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private",
            "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12",
        ] {
            std::fs::create_dir_all(dir.path().join(sub))
                .map_err(io_err("creating swanctl dirs"))?;
        }

        let conf = dir.path().join("strongswan.conf");
        let mut cmd = match &ns {
            Some(ns) => ns.command("env"),
            None => Command::new("env"),
        };
        cmd.arg(format!("STRONGSWAN_CONF={}", conf.display()));
        // TESSERA_CHARON_CLASSIC=1 forces the fallback (to test it where charon-systemd exists)
        let classic = std::env::var("TESSERA_CHARON_CLASSIC").is_ok_and(|v| v == "1");
        if Path::new(CHARON_SYSTEMD).exists() && !classic {
            cmd.arg(CHARON_SYSTEMD);
        } else {
            // classic charon: private mount namespace with its own /run for /var/run/charon.pid
            cmd.args(["unshare", "--mount", "--propagation", "private", "sh", "-c"])
                .arg("mount -t tmpfs tmpfs /run && exec \"$0\"")
                .arg(CHARON_CLASSIC);
        }
        let daemon = Daemon::spawn(
            &format!("charon {name}"),
            &mut cmd,
            &dir.path().join("charon.out"),
        )?;
        let mut charon = Charon {
            name: name.to_string(),
            daemon,
            dir,
            ns,
        };
        charon.wait_vici()?;
        Ok(charon)
    }

    fn wait_vici(&mut self) -> Result<()> {
        let sock = self.dir.path().join("charon.vici");
        let uri = self.uri();
        wait_until(
            &format!("charon {} vici socket", self.name),
            Duration::from_secs(10),
            || {
                if let Some(st) = self.daemon.exited()? {
                    return Err(HarnessError::Peer(format!(
                        "charon {} exited ({st}) during start-up:\n{}\n{}",
                        self.name,
                        tail(&self.read("charon.out"), 20),
                        tail(&self.log(), 20)
                    )));
                }
                if !sock.exists() {
                    return Ok(None);
                }
                let out = run(
                    Command::new(SWANCTL).args(["--version", "--daemon", "--uri", &uri]),
                    Duration::from_secs(5),
                )?;
                Ok(out.status.success().then_some(()))
            },
        )
    }

    fn read(&self, file: &str) -> String {
        std::fs::read(self.dir.path().join(file))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The peer's name as given to `start`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The daemon's PID.
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// The private directory (configs, vici socket, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The vici URI for `swanctl --uri`.
    pub fn uri(&self) -> String {
        format!("unix://{}", self.dir.path().join("charon.vici").display())
    }

    /// The network namespace the daemon runs in, if any.
    pub fn netns(&self) -> Option<&Arc<Netns>> {
        self.ns.as_ref()
    }

    /// Runs `swanctl <args> --uri <this charon>` (the command must come first in `args`).
    pub fn swanctl(&self, args: &[&str], timeout: Duration) -> Result<Output> {
        let uri = self.uri();
        run(
            Command::new(SWANCTL).args(args).args(["--uri", &uri]),
            timeout,
        )
    }

    /// Loads the connections and secrets of the private swanctl.conf
    /// (`swanctl --load-all --noprompt --file ...`); returns swanctl's output.
    pub fn load_conn(&self) -> Result<String> {
        let file = self.dir.path().join("swanctl.conf");
        let uri = self.uri();
        let mut cmd = Command::new(SWANCTL);
        // argument order matters: the command first, --noprompt after it
        cmd.args(["--load-all", "--noprompt", "--uri", &uri, "--file"])
            .arg(&file);
        Ok(run_ok(&mut cmd, Duration::from_secs(10))?.combined())
    }

    /// Initiates and waits (up to 10 s) for the result. Succeeds only when swanctl reports
    /// `initiate completed successfully`; otherwise the error carries swanctl's output.
    pub fn initiate(&self, what: Initiate<'_>) -> Result<String> {
        let (flag, name) = match what {
            Initiate::Ike(n) => ("--ike", n),
            Initiate::Child(n) => ("--child", n),
        };
        let out = self.swanctl(
            &["--initiate", flag, name, "--timeout", "10"],
            Duration::from_secs(20),
        )?;
        let text = out.combined();
        if out.status.success() && text.contains("initiate completed successfully") {
            Ok(text)
        } else {
            Err(HarnessError::Command {
                cmd: format!("swanctl --initiate {flag} {name} (charon {})", self.name),
                status: out.status.to_string(),
                stdout: out.stdout,
                stderr: format!("{}\n--- log tail\n{}", out.stderr, tail(&self.log(), 30)),
            })
        }
    }

    /// Terminates an IKE SA by connection name (`swanctl --terminate --ike NAME`).
    pub fn terminate_ike(&self, name: &str) -> Result<String> {
        let out = self.swanctl(
            &["--terminate", "--ike", name, "--timeout", "10"],
            Duration::from_secs(20),
        )?;
        Ok(out.combined())
    }

    /// The IKE SAs (with their Child SAs) from `swanctl --list-sas --pretty`.
    pub fn list_sas(&self) -> Result<Vec<SaInfo>> {
        let uri = self.uri();
        let out = run_ok(
            Command::new(SWANCTL).args(["--list-sas", "--pretty", "--uri", &uri]),
            Duration::from_secs(10),
        )?;
        parse_list_sas(&out.stdout).map_err(HarnessError::Peer)
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        self.read("charon.log")
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<()> {
        wait_until(
            &format!("charon {} log line {needle:?}", self.name),
            timeout,
            || Ok(self.log().contains(needle).then_some(())),
        )
    }
}

impl Drop for Charon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- charon {} log tail ({}):\n{}",
                self.name,
                self.dir.path().display(),
                tail(&self.log(), 40)
            );
        }
        self.daemon.stop(Duration::from_secs(3));
    }
}

/// One IKE SA as listed by `swanctl --list-sas`.
#[derive(Debug, Clone)]
pub struct SaInfo {
    /// Connection name.
    pub name: String,
    /// `state`, e.g. `ESTABLISHED`, `CONNECTING`.
    pub state: String,
    /// IKE version (2).
    pub version: Option<u8>,
    /// Local address and port.
    pub local: (String, u16),
    /// Remote address and port.
    pub remote: (String, u16),
    /// Local identity.
    pub local_id: String,
    /// Remote identity.
    pub remote_id: String,
    /// Whether this side initiated.
    pub initiator: bool,
    /// Initiator's SPI (hex, as printed).
    pub spi_i: String,
    /// Responder's SPI (hex, as printed).
    pub spi_r: String,
    /// Encryption algorithm, e.g. `AES_GCM_16`.
    pub encr_alg: String,
    /// Encryption key size in bits.
    pub encr_keysize: Option<u16>,
    /// Integrity algorithm (absent for AEAD).
    pub integ_alg: Option<String>,
    /// PRF, e.g. `PRF_HMAC_SHA2_256`.
    pub prf_alg: Option<String>,
    /// Key exchange method, e.g. `CURVE_25519`.
    pub dh_group: Option<String>,
    /// The Child SAs.
    pub children: Vec<ChildSaInfo>,
    /// Everything swanctl printed for this SA.
    pub raw: Section,
}

impl SaInfo {
    /// The negotiated proposal in strongSwan's log notation,
    /// e.g. `AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519`.
    pub fn proposal(&self) -> String {
        let mut parts = vec![match self.encr_keysize {
            Some(k) => format!("{}_{k}", self.encr_alg),
            None => self.encr_alg.clone(),
        }];
        parts.extend(self.integ_alg.iter().cloned());
        parts.extend(self.prf_alg.iter().cloned());
        parts.extend(self.dh_group.iter().cloned());
        parts.join("/")
    }

    /// Whether the IKE SA is established.
    pub fn is_established(&self) -> bool {
        self.state == "ESTABLISHED"
    }
}

/// One Child SA as listed by `swanctl --list-sas`.
#[derive(Debug, Clone)]
pub struct ChildSaInfo {
    /// Child config name.
    pub name: String,
    /// `state`, e.g. `INSTALLED`.
    pub state: String,
    /// `mode`, e.g. `TUNNEL`.
    pub mode: String,
    /// `protocol`, e.g. `ESP`.
    pub protocol: String,
    /// Inbound SPI (hex).
    pub spi_in: String,
    /// Outbound SPI (hex).
    pub spi_out: String,
    /// Encryption algorithm.
    pub encr_alg: String,
    /// Encryption key size in bits.
    pub encr_keysize: Option<u16>,
    /// Integrity algorithm (absent for AEAD).
    pub integ_alg: Option<String>,
    /// Local traffic selectors.
    pub local_ts: Vec<String>,
    /// Remote traffic selectors.
    pub remote_ts: Vec<String>,
    /// Everything swanctl printed for this Child SA.
    pub raw: Section,
}

/// Parses `swanctl --list-sas --pretty` output (one `list-sa event` per IKE SA).
pub fn parse_list_sas(text: &str) -> std::result::Result<Vec<SaInfo>, String> {
    let top = swanctl_pretty::parse(text)?;
    let mut sas = Vec::new();
    for event in top.iter().filter(|s| s.name == "list-sa event") {
        for sa in &event.sections {
            sas.push(sa_info(sa)?);
        }
    }
    Ok(sas)
}

fn field(s: &Section, k: &str) -> String {
    s.get(k).unwrap_or_default().to_string()
}

fn port(s: &Section, k: &str) -> std::result::Result<u16, String> {
    s.get(k)
        .unwrap_or("0")
        .parse()
        .map_err(|e| format!("{}: bad {k}: {e}", s.name))
}

fn sa_info(s: &Section) -> std::result::Result<SaInfo, String> {
    let children = s
        .section("child-sas")
        .map(|c| c.sections.iter().map(child_info).collect())
        .unwrap_or_default();
    Ok(SaInfo {
        name: s.name.clone(),
        state: field(s, "state"),
        version: s.get("version").and_then(|v| v.parse().ok()),
        local: (field(s, "local-host"), port(s, "local-port")?),
        remote: (field(s, "remote-host"), port(s, "remote-port")?),
        local_id: field(s, "local-id"),
        remote_id: field(s, "remote-id"),
        initiator: s.get("initiator") == Some("yes"),
        spi_i: field(s, "initiator-spi"),
        spi_r: field(s, "responder-spi"),
        encr_alg: field(s, "encr-alg"),
        encr_keysize: s.get("encr-keysize").and_then(|v| v.parse().ok()),
        integ_alg: s.get("integ-alg").map(str::to_string),
        prf_alg: s.get("prf-alg").map(str::to_string),
        dh_group: s.get("dh-group").map(str::to_string),
        children,
        raw: s.clone(),
    })
}

fn child_info(c: &Section) -> ChildSaInfo {
    ChildSaInfo {
        // the section is named "<name>-<uniqueid>"; the "name" key holds the config name
        name: c.get("name").unwrap_or(&c.name).to_string(),
        state: field(c, "state"),
        mode: field(c, "mode"),
        protocol: field(c, "protocol"),
        spi_in: field(c, "spi-in"),
        spi_out: field(c, "spi-out"),
        encr_alg: field(c, "encr-alg"),
        encr_keysize: c.get("encr-keysize").and_then(|v| v.parse().ok()),
        integ_alg: c.get("integ-alg").map(str::to_string),
        local_ts: c.list("local-ts").to_vec(),
        remote_ts: c.list("remote-ts").to_vec(),
        raw: c.clone(),
    }
}
