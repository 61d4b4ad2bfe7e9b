//! Configuration builders and cross-checks for Tessera ↔ third-party interop tests: one
//! description of a connection ([`Side`]) renders both the swanctl.conf of charon and the TOML of
//! Tessera, so the two ends always agree on identities, proposals and traffic selectors.

use std::path::Path;

use tessera::control::SaJson;

use super::charon::SaInfo;
use super::daemon::fixture;
use super::{Result, io_err};

/// The PSK of every interop test.
pub const PSK: &str = "tessera-interop-psk-0123456789";
/// Tessera's identity (and the SAN of `tessera.pem`).
pub const TESSERA_ID: &str = "tessera.test";
/// The third-party peer's identity (and the SAN of `charon.pem`).
pub const PEER_ID: &str = "charon.test";

/// How both ends authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A shared secret ([`PSK`]).
    Psk,
    /// ECDSA P-256 certificates from `tests/fixtures/interop`, issued by one CA.
    Ecdsa,
}

/// An IKE proposal in strongSwan syntax with the name both daemons print once it is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// strongSwan / Tessera configuration syntax.
    pub config: &'static str,
    /// `swanctl --list-sas` / `tessera list` notation of the negotiated algorithms.
    pub listed: &'static str,
}

/// x25519 + AES-256-GCM-16 + PRF-HMAC-SHA-256.
pub const X25519_GCM: Proposal = Proposal {
    config: "aes256gcm16-prfsha256-x25519",
    listed: "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519",
};
/// ECP-256 + AES-128-CBC + HMAC-SHA-256-128 + PRF-HMAC-SHA-256.
pub const ECP256_CBC: Proposal = Proposal {
    config: "aes128-sha256-prfsha256-ecp256",
    listed: "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256",
};

/// A Child SA both ends configure (tunnel mode).
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// Child name (same on both ends).
    pub name: String,
    /// Tessera's side of the tunnel.
    pub tessera_ts: String,
    /// The peer's side of the tunnel.
    pub peer_ts: String,
    /// ESP proposals in strongSwan syntax.
    pub esp: String,
    /// Tessera's `rekey_time` for this child. Long by default so nothing rekeys on its own;
    /// charon's side never rekeys by itself (`rekey_time = 0`).
    pub tessera_rekey_time: String,
}

impl ChildSpec {
    /// `net`: 10.1.0.0/16 (Tessera) === 10.2.0.0/16 (peer), AES-GCM-128 or AES-CBC/SHA-256.
    pub fn net() -> ChildSpec {
        ChildSpec {
            name: "net".into(),
            tessera_ts: "10.1.0.0/16".into(),
            peer_ts: "10.2.0.0/16".into(),
            esp: "aes128gcm16, aes128-sha256".into(),
            tessera_rekey_time: "1h".into(),
        }
    }
}

/// One interop connection, seen from both ends.
#[derive(Debug, Clone)]
pub struct Side {
    /// Connection name on both ends.
    pub name: String,
    /// Tessera's address.
    pub tessera_addr: String,
    /// The peer's address.
    pub peer_addr: String,
    /// Whether Tessera initiates (towards [`Side::peer_port`]); else the peer initiates
    /// (towards [`Side::tessera_port`]).
    pub tessera_initiates: bool,
    /// The peer's IKE port (Tessera's `remote_port` when it initiates).
    pub peer_port: u16,
    /// Tessera's IKE port (charon's `remote_port` when it initiates).
    pub tessera_port: u16,
    /// Authentication.
    pub auth: Auth,
    /// The one IKE proposal both ends offer.
    pub proposal: Proposal,
    /// charon's `mobike` (default yes: it floats to its NAT-T port for IKE_AUTH).
    pub mobike: bool,
    /// Child SAs.
    pub children: Vec<ChildSpec>,
    /// Extra lines for the charon connection (e.g. `dpd_delay = 1s`).
    pub charon_extra: String,
    /// Extra TOML keys for the Tessera connection table (e.g. `dpd_delay = "1s"`).
    pub tessera_extra: String,
    /// Extra TOML tables appended after the connection (e.g. `[connections.x.resumption]`).
    pub tessera_tables: String,
}

impl Side {
    /// A connection `name` on 127.0.0.1 (ports 500 until set) with the `net` child.
    pub fn new(name: &str, tessera_initiates: bool, auth: Auth, proposal: Proposal) -> Side {
        Side {
            name: name.into(),
            tessera_addr: "127.0.0.1".into(),
            peer_addr: "127.0.0.1".into(),
            tessera_initiates,
            peer_port: 500,
            tessera_port: 500,
            auth,
            proposal,
            mobike: true,
            children: vec![ChildSpec::net()],
            charon_extra: String::new(),
            tessera_extra: String::new(),
            tessera_tables: String::new(),
        }
    }

    /// The swanctl.conf (connections and secrets) of charon.
    pub fn swanctl_conf(&self) -> String {
        let (local_auth, remote_auth) = match self.auth {
            Auth::Psk => ("auth = psk".to_string(), "auth = psk".to_string()),
            Auth::Ecdsa => (
                "auth = pubkey\n            certs = charon.pem".to_string(),
                "auth = pubkey\n            cacerts = ca.pem".to_string(),
            ),
        };
        let remote = if self.tessera_initiates {
            // responder: accept Tessera from its address, any port
            format!("remote_addrs = {}", self.tessera_addr)
        } else {
            format!(
                "remote_addrs = {}\n        remote_port = {}",
                self.tessera_addr, self.tessera_port
            )
        };
        let children: String = self
            .children
            .iter()
            .map(|c| {
                format!(
                    "            {name} {{
                mode = tunnel
                local_ts = {peer}
                remote_ts = {tess}
                esp_proposals = {esp}
                rekey_time = 0
                life_time = 0
            }}
",
                    name = c.name,
                    peer = c.peer_ts,
                    tess = c.tessera_ts,
                    esp = c.esp
                )
            })
            .collect();
        let secrets = match self.auth {
            Auth::Psk => format!(
                "    ike-{name} {{
        id-1 = {TESSERA_ID}
        id-2 = {PEER_ID}
        secret = \"{PSK}\"
    }}
",
                name = self.name
            ),
            // the private key is loaded from private/ by --load-all
            Auth::Ecdsa => String::new(),
        };
        format!(
            "connections {{
    {name} {{
        version = 2
        local_addrs = {local}
        {remote}
        proposals = {proposal}
        mobike = {mobike}
        # no spontaneous rekeying: the tests rekey explicitly
        rekey_time = 0
{extra}
        local {{
            {local_auth}
            id = {PEER_ID}
        }}
        remote {{
            {remote_auth}
            id = {TESSERA_ID}
        }}
        children {{
{children}        }}
    }}
}}
secrets {{
{secrets}}}
",
            name = self.name,
            local = self.peer_addr,
            proposal = self.proposal.config,
            mobike = if self.mobike { "yes" } else { "no" },
            extra = self.charon_extra,
        )
    }

    /// Copies the certificates and key charon needs into its swanctl directories
    /// (`x509/charon.pem`, `x509ca/ca.pem`, `private/charon.key`). No-op for PSK.
    pub fn install_charon_creds(&self, swanctl_dir: &Path) -> Result<()> {
        if self.auth != Auth::Ecdsa {
            return Ok(());
        }
        for (src, dst) in [
            ("charon.pem", "x509/charon.pem"),
            ("ca.pem", "x509ca/ca.pem"),
            ("charon.key", "private/charon.key"),
        ] {
            std::fs::copy(fixture(src), swanctl_dir.join(dst))
                .map_err(io_err(format!("copying {src}")))?;
        }
        Ok(())
    }

    /// The Tessera TOML for this connection (append it to a [`super::daemon::daemon_section`]).
    pub fn tessera_conf(&self) -> String {
        let name = &self.name;
        let remote = if self.tessera_initiates {
            format!(
                "remote_addrs = [\"{}\"]\nremote_port = {}\n",
                self.peer_addr, self.peer_port
            )
        } else {
            String::new()
        };
        let (local, remote_auth) = match self.auth {
            Auth::Psk => ("auth = \"psk\"".to_string(), "auth = \"psk\"".to_string()),
            Auth::Ecdsa => (
                format!(
                    "auth = \"pubkey\"\ncerts = [\"{}\"]\nkey = \"{}\"",
                    fixture("tessera.pem").display(),
                    fixture("tessera.key").display()
                ),
                format!(
                    "auth = \"pubkey\"\ncacerts = [\"{}\"]",
                    fixture("ca.pem").display()
                ),
            ),
        };
        let mut t = format!(
            "
[connections.{name}]
{remote}local_addrs = [\"{addr}\"]
proposals = [\"{proposal}\"]
{extra}
[connections.{name}.local]
{local}
id = \"{TESSERA_ID}\"
[connections.{name}.remote]
{remote_auth}
id = \"{PEER_ID}\"
",
            addr = self.tessera_addr,
            proposal = self.proposal.config,
            extra = self.tessera_extra,
        );
        for c in &self.children {
            let esp: Vec<String> = c
                .esp
                .split(',')
                .map(|p| format!("\"{}\"", p.trim()))
                .collect();
            t.push_str(&format!(
                "[connections.{name}.children.{child}]
mode = \"tunnel\"
local_ts = [\"{tess}\"]
remote_ts = [\"{peer}\"]
esp_proposals = [{esp}]
rekey_time = \"{rekey}\"
",
                child = c.name,
                tess = c.tessera_ts,
                peer = c.peer_ts,
                esp = esp.join(", "),
                rekey = c.tessera_rekey_time,
            ));
        }
        t.push_str(&self.tessera_tables);
        if self.auth == Auth::Psk {
            t.push_str(&format!("[secrets.psk.{name}]\nsecret = \"{PSK}\"\n"));
        }
        t
    }
}

/// Asserts that charon's and Tessera's listings describe the same established IKE SA: equal
/// SPIs, the expected proposal on both ends, mirrored roles, identities and endpoints.
#[track_caller]
pub fn assert_same_ike_sa(c: &SaInfo, t: &SaJson, proposal: &str, tessera_initiated: bool) {
    let both = format!("charon: {c:#?}\ntessera: {t:#?}");
    assert!(c.is_established(), "charon not ESTABLISHED\n{both}");
    assert_eq!(t.state, "ESTABLISHED", "{both}");
    assert_eq!(c.version, Some(2), "{both}");
    assert_eq!(
        (c.spi_i.as_str(), c.spi_r.as_str()),
        (t.spi_i.as_str(), t.spi_r.as_str()),
        "both ends agree on the IKE SPIs\n{both}"
    );
    assert_eq!(t.spi_i.len(), 16, "{both}");
    assert_ne!(t.spi_r, "0000000000000000", "{both}");
    assert_eq!(c.proposal(), proposal, "charon's proposal\n{both}");
    assert_eq!(t.proposal, proposal, "tessera's proposal\n{both}");
    assert_eq!(t.initiator, tessera_initiated, "{both}");
    assert_eq!(c.initiator, !tessera_initiated, "{both}");
    assert_eq!(
        (c.local_id.as_str(), c.remote_id.as_str()),
        (PEER_ID, TESSERA_ID),
        "{both}"
    );
    assert_eq!(
        (t.local_id.as_str(), t.remote_id.as_str()),
        (TESSERA_ID, PEER_ID),
        "{both}"
    );
    assert_eq!(
        t.remote,
        format!("{}:{}", c.local.0, c.local.1),
        "tessera talks to where charon sends from\n{both}"
    );
    assert_eq!(t.local, format!("{}:{}", c.remote.0, c.remote.1), "{both}");
}
