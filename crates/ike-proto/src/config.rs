//! Configuration types for the protocol engine: connections, proposals, children, timers.
//!
//! These are plain data; the daemon builds them from TOML. [`ConnectionConfig::validate`] rejects
//! settings the engine cannot honour, so an error surfaces at load time, not mid-handshake.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg};
use ike_wire::IdType;

use crate::error::ConfigError;

/// An IKE SA proposal: every listed algorithm is acceptable, in preference order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeProposal {
    /// Encryption algorithms (AEAD and non-AEAD must not be mixed in one proposal).
    pub encr: Vec<EncrAlg>,
    /// Pseudo-random functions.
    pub prf: Vec<PrfAlg>,
    /// Integrity algorithms; empty for AEAD proposals.
    pub integ: Vec<IntegAlg>,
    /// Key-exchange groups; the first is the one an initiator guesses for its KE payload.
    pub dh: Vec<DhAlg>,
}

/// An ESP proposal for a Child SA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspProposal {
    /// Encryption algorithms.
    pub encr: Vec<EncrAlg>,
    /// Integrity algorithms; empty for AEAD proposals.
    pub integ: Vec<IntegAlg>,
    /// Groups for PFS in CREATE_CHILD_SA; empty means no PFS.
    pub dh: Vec<DhAlg>,
}

/// An IKE identity (RFC 7296 §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// Identification type.
    pub id_type: IdType,
    /// Identification data as on the wire.
    pub data: Vec<u8>,
}

impl Identity {
    /// Parse the configuration form: an IP address, `user@host` (RFC 822), `@keyid` raw key id
    /// prefix `keyid:` or a host name (FQDN).
    pub fn parse(s: &str) -> Result<Identity, ConfigError> {
        if s.is_empty() {
            return Err(ConfigError::Invalid("empty identity".into()));
        }
        if let Some(k) = s.strip_prefix("keyid:") {
            return Ok(Identity {
                id_type: IdType::KeyId,
                data: k.as_bytes().to_vec(),
            });
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(match ip {
                IpAddr::V4(v4) => Identity {
                    id_type: IdType::Ipv4Addr,
                    data: v4.octets().to_vec(),
                },
                IpAddr::V6(v6) => Identity {
                    id_type: IdType::Ipv6Addr,
                    data: v6.octets().to_vec(),
                },
            });
        }
        if s.contains('@') {
            return Ok(Identity {
                id_type: IdType::Rfc822Addr,
                data: s.as_bytes().to_vec(),
            });
        }
        Ok(Identity {
            id_type: IdType::Fqdn,
            data: s.as_bytes().to_vec(),
        })
    }

    /// Human-readable form for logs and `list`.
    pub fn display(&self) -> String {
        match self.id_type {
            IdType::Ipv4Addr if self.data.len() == 4 => {
                let o: [u8; 4] = self.data[..4].try_into().unwrap_or([0; 4]);
                IpAddr::from(o).to_string()
            }
            IdType::Ipv6Addr if self.data.len() == 16 => {
                let o: [u8; 16] = self.data[..16].try_into().unwrap_or([0; 16]);
                IpAddr::from(o).to_string()
            }
            IdType::Fqdn | IdType::Rfc822Addr | IdType::KeyId => {
                String::from_utf8_lossy(&self.data).into_owned()
            }
            other => format!("{other:?}:{} bytes", self.data.len()),
        }
    }
}

/// How one side authenticates.
#[derive(Clone)]
pub enum AuthConfig {
    /// Pre-shared key (AUTH method 2).
    Psk(Arc<ike_crypto::SecretBytes>),
    /// Public-key signatures with a certificate.
    PubKey(PubKeyAuth),
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthConfig::Psk(_) => f.write_str("Psk(<redacted>)"),
            AuthConfig::PubKey(_) => f.write_str("PubKey"),
        }
    }
}

/// Certificate authentication settings for the local side (signing) or remote side (verifying).
#[derive(Clone, Default)]
pub struct PubKeyAuth {
    /// Our certificate chain (end entity first); empty on the remote side.
    pub certs: Vec<ike_crypto::cert::Certificate>,
    /// Our private key (local side only).
    pub key: Option<Arc<ike_crypto::sig::SigningKey>>,
    /// Trusted CA certificates (remote side only).
    pub cas: Vec<ike_crypto::cert::Certificate>,
}

/// IPsec mode of a Child SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildMode {
    /// Tunnel mode (the default).
    Tunnel,
    /// Transport mode (USE_TRANSPORT_MODE notify).
    Transport,
}

/// A traffic selector in configuration form: an address range plus protocol and ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsConfig {
    /// First address.
    pub start: IpAddr,
    /// Last address.
    pub end: IpAddr,
    /// IP protocol, 0 = any.
    pub protocol: u8,
    /// First port.
    pub start_port: u16,
    /// Last port.
    pub end_port: u16,
}

impl TsConfig {
    /// Parse `a.b.c.d/len`, an address, or `dynamic` (the SA's own address; returned as `None`).
    pub fn parse(s: &str) -> Result<Option<TsConfig>, ConfigError> {
        if s == "dynamic" {
            return Ok(None);
        }
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| ConfigError::Invalid(format!("bad traffic selector address {s:?}")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            Some(l) => l
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| ConfigError::Invalid(format!("bad prefix length in {s:?}")))?,
            None => max,
        };
        let (start, end) = prefix_range(ip, len);
        Ok(Some(TsConfig {
            start,
            end,
            protocol: 0,
            start_port: 0,
            end_port: 65535,
        }))
    }

    /// A selector covering exactly one address, all protocols and ports.
    pub fn host(ip: IpAddr) -> TsConfig {
        TsConfig {
            start: ip,
            end: ip,
            protocol: 0,
            start_port: 0,
            end_port: 65535,
        }
    }
}

fn prefix_range(ip: IpAddr, len: u32) -> (IpAddr, IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let a = u32::from(v4);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            (
                IpAddr::from((a & mask).to_be_bytes()),
                IpAddr::from((a | !mask).to_be_bytes()),
            )
        }
        IpAddr::V6(v6) => {
            let a = u128::from(v6);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            (
                IpAddr::from((a & mask).to_be_bytes()),
                IpAddr::from((a | !mask).to_be_bytes()),
            )
        }
    }
}

/// A Child SA template.
#[derive(Debug, Clone)]
pub struct ChildConfig {
    /// Name, unique within the connection.
    pub name: String,
    /// Mode.
    pub mode: ChildMode,
    /// Local traffic selectors; empty = `dynamic` (our address).
    pub local_ts: Vec<TsConfig>,
    /// Remote traffic selectors; empty = `dynamic` (the peer's address).
    pub remote_ts: Vec<TsConfig>,
    /// ESP proposals in preference order.
    pub esp_proposals: Vec<EspProposal>,
    /// Soft lifetime: rekey after this long.
    pub rekey_time: Duration,
    /// Hard lifetime: delete after this long if not rekeyed.
    pub life_time: Duration,
}

/// RFC 5723 resumption settings for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumptionConfig {
    /// As client: send N(TICKET_REQUEST) in IKE_AUTH.
    pub request_tickets: bool,
    /// As gateway: issue tickets to clients that ask.
    pub issue_tickets: bool,
    /// Upper bound on a ticket's lifetime.
    pub ticket_lifetime: Duration,
    /// What the AUTH of a resumed IKE_AUTH covers.
    pub auth_form: ResumeAuthForm,
}

/// The octets the AUTH payload of a resumed IKE_AUTH covers (RFC 5723 §4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResumeAuthForm {
    /// RFC 5723 → RFC 7296 §2.15: message | peer nonce | prf(SK_p, ID). The default.
    #[default]
    Rfc,
    /// libreswan 5.2's form: prf(SK_p, IKE_SESSION_RESUME message) only. For interop with it.
    Libreswan,
}

impl Default for ResumptionConfig {
    fn default() -> Self {
        ResumptionConfig {
            request_tickets: true,
            issue_tickets: true,
            ticket_lifetime: Duration::from_secs(8 * 3600),
            auth_form: ResumeAuthForm::Rfc,
        }
    }
}

/// One IKE connection: peers, identities, authentication, proposals, children, timers.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Connection name (unique).
    pub name: String,
    /// Local addresses we accept this connection on; empty = any.
    pub local_addrs: Vec<IpAddr>,
    /// Remote peer address; `None` = any (responder only).
    pub remote_addr: Option<IpAddr>,
    /// Remote IKE port to initiate to.
    pub remote_port: u16,
    /// Our identity.
    pub local_id: Identity,
    /// The peer's expected identity; `None` = any identity that authenticates.
    pub remote_id: Option<Identity>,
    /// How we authenticate.
    pub local_auth: AuthConfig,
    /// How the peer must authenticate.
    pub remote_auth: AuthConfig,
    /// IKE proposals in preference order.
    pub ike_proposals: Vec<IkeProposal>,
    /// Child SA templates; the first one is created with IKE_AUTH when initiating.
    pub children: Vec<ChildConfig>,
    /// IKE SA soft lifetime: rekey after this long (0 = never).
    pub rekey_time: Duration,
    /// Liveness check interval when idle (0 = off).
    pub dpd_delay: Duration,
    /// Session resumption settings.
    pub resumption: ResumptionConfig,
    /// Announce and use IKE fragmentation (RFC 7383).
    pub fragmentation: bool,
}

impl ConnectionConfig {
    /// Check the settings the engine relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Invalid("connection name is empty".into()));
        }
        if self.ike_proposals.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "{}: no IKE proposals",
                self.name
            )));
        }
        for p in &self.ike_proposals {
            validate_ike_proposal(&self.name, p)?;
        }
        for c in &self.children {
            if c.esp_proposals.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "{}/{}: no ESP proposals",
                    self.name, c.name
                )));
            }
            for p in &c.esp_proposals {
                if p.encr.is_empty() {
                    return Err(ConfigError::Invalid(format!(
                        "{}/{}: ESP proposal without encryption",
                        self.name, c.name
                    )));
                }
                mixed_aead_check(&self.name, &p.encr, &p.integ)?;
            }
        }
        if let AuthConfig::PubKey(pk) = &self.local_auth {
            if pk.key.is_none() || pk.certs.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "{}: pubkey auth needs a certificate and a private key",
                    self.name
                )));
            }
        }
        if let AuthConfig::PubKey(pk) = &self.remote_auth {
            if pk.cas.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "{}: remote pubkey auth needs at least one CA",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

fn validate_ike_proposal(name: &str, p: &IkeProposal) -> Result<(), ConfigError> {
    if p.encr.is_empty() || p.prf.is_empty() || p.dh.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{name}: IKE proposal needs encryption, PRF and DH"
        )));
    }
    mixed_aead_check(name, &p.encr, &p.integ)
}

fn mixed_aead_check(name: &str, encr: &[EncrAlg], integ: &[IntegAlg]) -> Result<(), ConfigError> {
    let aead = encr.iter().filter(|e| e.is_aead()).count();
    if aead != 0 && aead != encr.len() {
        return Err(ConfigError::Invalid(format!(
            "{name}: a proposal mixes AEAD and non-AEAD encryption"
        )));
    }
    if aead == 0 && integ.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{name}: non-AEAD proposal without integrity algorithm"
        )));
    }
    if aead != 0 && !integ.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{name}: AEAD proposal must not list integrity algorithms"
        )));
    }
    Ok(())
}

/// Endpoint-wide settings.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Our IKE port (500 by default).
    pub port: u16,
    /// Our NAT-T port (4500 by default).
    pub natt_port: u16,
    /// The peer's NAT-T port we move to when a NAT is detected (4500 by default).
    pub remote_natt_port: u16,
    /// Half-open SAs above which IKE_SA_INIT requests are answered with a COOKIE challenge.
    pub cookie_threshold: usize,
    /// Hard limit on half-open SAs; beyond it new IKE_SA_INIT requests are dropped.
    pub half_open_limit: usize,
    /// How long a half-open responder SA may wait for IKE_AUTH.
    pub half_open_timeout: Duration,
    /// First retransmission timeout.
    pub retransmit_timeout: Duration,
    /// Backoff multiplier applied after each retransmission.
    pub retransmit_base: f64,
    /// Retransmissions before giving up.
    pub retransmit_tries: u32,
    /// How often the cookie secret rotates.
    pub cookie_secret_lifetime: Duration,
    /// Capacity of the used-ticket log (RFC 5723 replay protection); when full, resumptions
    /// are refused rather than forgetting a live entry.
    pub used_ticket_capacity: usize,
    /// Keep copies of each IKE SA's SK_e/SK_a keys for a Wireshark decryption table. A
    /// debugging aid: off by default, and the daemon only turns it on when asked to.
    pub export_keys: bool,
    /// Largest UDP payload (non-ESP marker included) we send before fragmenting an encrypted
    /// message (RFC 7383). The default fits the IPv6 minimum MTU: 1280 − 40 − 8.
    pub fragment_mtu: usize,
    /// This endpoint is one shard of several: its SPIs carry the shard index (see
    /// [`crate::route`]). `None` for a single endpoint.
    pub shard: Option<Shard>,
    /// Rotate the ticket key ring on its timer. A sharded driver lets one shard rotate and
    /// copies the ring to the others.
    pub rotate_ticket_keys: bool,
}

/// Position of an endpoint among `count` shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's index, `< count`.
    pub index: u8,
    /// Number of shards (≥ 1).
    pub count: u8,
}

impl Shard {
    /// The shard an SPI of ours belongs to.
    pub fn of_spi(spi: &[u8; 8], count: u8) -> u8 {
        spi[0] % count.max(1)
    }

    /// Rewrite a random first SPI octet so that it names this shard.
    pub(crate) fn tag(self, b: u8) -> u8 {
        let count = self.count.max(1);
        let base = b - b % count;
        match base.checked_add(self.index % count) {
            Some(v) => v,
            None => base - count + self.index % count,
        }
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            port: 500,
            natt_port: 4500,
            remote_natt_port: 4500,
            cookie_threshold: 1000,
            half_open_limit: 20_000,
            half_open_timeout: Duration::from_secs(30),
            retransmit_timeout: Duration::from_secs(2),
            retransmit_base: 1.8,
            retransmit_tries: 5,
            cookie_secret_lifetime: Duration::from_secs(120),
            used_ticket_capacity: 1_000_000,
            export_keys: false,
            fragment_mtu: 1232,
            shard: None,
            rotate_ticket_keys: true,
        }
    }
}
