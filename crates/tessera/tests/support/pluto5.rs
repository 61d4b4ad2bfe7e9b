//! Tessera ↔ libreswan 5.2 (pluto) RFC 5723 setups: one network namespace pair, Tessera in `a`
//! (198.18.0.1) and pluto in `b` (198.18.0.2), both on UDP 500/4500, one PSK connection with
//! `session-resumption=yes` on pluto and a `[connections.X.resumption]` table on Tessera.
//!
//! The kernel has no ESP, so every IKE SA is childless (RFC 6023): Tessera's connection has no
//! children, and a pluto initiator runs with `omit_v2_ike_auth_child`. pluto's own resume always
//! adds SA/TSi/TSr to the resumed IKE_AUTH (peers-libreswan5.md §3, quirk 2), whatever the
//! impairment says; a Tessera gateway without children then answers without a Child SA.

use std::time::Duration;

use tessera::control::SaJson;

use super::daemon::daemon_section;
use super::interop::{PSK, TESSERA_ID, X25519_GCM};
use super::netns::{Netns, NetnsPair};
use super::pluto::{Libreswan, Pluto, PlutoConf};
use super::{Result, Tessera};

/// pluto's identity (ID_FQDN) in these tests.
pub const PLUTO_ID: &str = "pluto5.test";
/// The IKE proposal both ends use (pluto's spelling of [`X25519_GCM`]).
pub const PLUTO_IKE: &str = "aes_gcm256-sha2_256-dh31";
/// What `tessera list` prints for it.
pub const TESSERA_PROPOSAL: &str = X25519_GCM.listed;

/// pluto's log line for an IKE SA authenticated with a resumption ticket (both roles).
pub const PLUTO_RESUMED: &str = "authenticated peer using authby=session-resume";

/// Which end starts the IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Tessera is the client (initiator), pluto the gateway.
    TesseraClient,
    /// pluto is the client, Tessera the gateway.
    PlutoClient,
}

/// pluto's `conn NAME` section facing Tessera.
pub fn pluto_conn(name: &str, ns: &NetnsPair) -> String {
    format!(
        "conn {name}
    keyexchange=ikev2
    authby=secret
    left={b}
    leftid=@{PLUTO_ID}
    right={a}
    rightid=@{TESSERA_ID}
    ike={PLUTO_IKE}
    esp=aes_gcm128
    session-resumption=yes
    leftupdown=%disabled
    auto=add
",
        a = ns.a.addr(),
        b = ns.b.addr(),
    )
}

/// Tessera's configuration facing pluto: a childless PSK connection `name` with the given
/// `[connections.NAME.resumption]` body and extra `[daemon]` keys.
pub fn tessera_conf(
    name: &str,
    ns: &NetnsPair,
    role: Role,
    resumption: &str,
    daemon_extra: &str,
) -> String {
    let (a, b) = (ns.a.addr(), ns.b.addr());
    let remote = match role {
        Role::TesseraClient => format!("remote_addrs = [\"{b}\"]\nremote_port = 500\n"),
        Role::PlutoClient => String::new(),
    };
    format!(
        "{daemon}{daemon_extra}
[connections.{name}]
{remote}local_addrs = [\"{a}\"]
proposals = [\"{proposal}\"]
[connections.{name}.local]
auth = \"psk\"
id = \"{TESSERA_ID}\"
[connections.{name}.remote]
auth = \"psk\"
id = \"{PLUTO_ID}\"
[connections.{name}.resumption]
{resumption}
[secrets.psk.{name}]
secret = \"{PSK}\"
",
        daemon = daemon_section(&a.to_string(), None, 4500),
        proposal = X25519_GCM.config,
    )
}

/// A running Tessera ↔ pluto 5.2 pair for one connection.
#[derive(Debug)]
pub struct Lsw5 {
    /// The connection name on both ends.
    pub name: String,
    /// Tessera, in namespace `a`.
    pub tessera: Tessera,
    /// pluto, in namespace `b` (`None` only while [`Lsw5::restart_pluto`] runs).
    pluto: Option<Pluto>,
    conf: PlutoConf,
    /// Dropped last: daemons hold clones, so the namespaces outlive them.
    pub ns: NetnsPair,
}

impl Lsw5 {
    /// Starts both daemons. `resumption` is the body of Tessera's resumption table.
    pub fn start(name: &str, role: Role, resumption: &str, daemon_extra: &str) -> Result<Lsw5> {
        let ns = Netns::pair()?;
        let mut conf = PlutoConf::psk(Libreswan::V5_2, &pluto_conn(name, &ns), PSK);
        // TESSERA_PLUTODEBUG=base for debugging (large logs, ~300 KB per handshake pair)
        if let Ok(d) = std::env::var("TESSERA_PLUTODEBUG") {
            conf.plutodebug = d;
        }
        let pluto = Pluto::start(&ns.b, name, &conf)?;
        if role == Role::PlutoClient {
            // childless first IKE_AUTH (no ESP in this kernel)
            pluto.impair("omit_v2_ike_auth_child")?;
        }
        let tessera = Tessera::start(
            name,
            Some(&ns.a),
            &tessera_conf(name, &ns, role, resumption, daemon_extra),
        )?;
        Ok(Lsw5 {
            name: name.to_string(),
            tessera,
            pluto: Some(pluto),
            conf,
            ns,
        })
    }

    /// The running pluto.
    pub fn pluto(&self) -> &Pluto {
        self.pluto.as_ref().expect("pluto is running")
    }

    /// Stops pluto and starts a fresh one with the same configuration: its in-memory ticket
    /// keys are gone, so every ticket it issued is now refused with TICKET_NACK.
    pub fn restart_pluto(&mut self) -> Result<()> {
        drop(self.pluto.take());
        self.pluto = Some(Pluto::start(&self.ns.b, &self.name, &self.conf)?);
        Ok(())
    }

    /// Waits until Tessera lists exactly one established IKE SA; returns it.
    pub fn tessera_sa(&self, timeout: Duration) -> Result<SaJson> {
        Ok(self
            .tessera
            .wait_sas("one established IKE SA", timeout, |s| {
                s.len() == 1 && s[0].state == "ESTABLISHED"
            })?
            .remove(0))
    }

    /// Count of the lines of pluto's log that contain `needle`.
    pub fn pluto_log_count(&self, needle: &str) -> usize {
        self.pluto()
            .log()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}
