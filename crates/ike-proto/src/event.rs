//! Events and status snapshots the engine reports to its driver.

use std::net::SocketAddr;

use ike_crypto::{ChildKeys, EncrAlg, IntegAlg};

use crate::config::ChildMode;
use crate::error::SaError;

/// Something the driver should act on or report.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// An IKE SA finished authentication.
    Established {
        /// Connection name.
        connection: String,
        /// Our IKE SPI (the demux key).
        local_spi: [u8; 8],
    },
    /// A Child SA is up: keys for the kernel backend.
    ChildUp {
        /// Connection name.
        connection: String,
        /// Child name.
        child: String,
        /// Inbound and outbound ESP SPIs.
        spi_in: u32,
        /// Outbound ESP SPI.
        spi_out: u32,
        /// ESP transforms.
        encr: EncrAlg,
        /// ESP integrity (None for AEAD).
        integ: Option<IntegAlg>,
        /// Keys (moved to the backend, zeroized on drop). `keys.encr_i`/`integ_i` protect
        /// traffic from the initiator of the exchange that created this Child SA.
        keys: ChildKeys,
        /// Did we initiate the exchange that created it (so `*_i` keys are outbound)?
        initiator: bool,
        /// Mode.
        mode: ChildMode,
    },
    /// A Child SA went away.
    ChildDown {
        /// Connection name.
        connection: String,
        /// Our inbound ESP SPI.
        spi_in: u32,
    },
    /// The IKE SA of a connection was suspended (client; RFC 5723). The driver may persist
    /// the session (see [`crate::Endpoint::suspended_sessions`]).
    Suspended {
        /// Connection name.
        connection: String,
    },
    /// The gateway's ticket keys rotated; the driver persists the key ring.
    TicketKeysRotated,
    /// A resumption attempt failed and a full IKE_SA_INIT was started instead (RFC 5723 §4.3.1).
    ResumeFallback {
        /// Connection name.
        connection: String,
        /// Why (for the user; no secrets).
        why: String,
    },
    /// A resumed session's old SA belongs to another shard: the driver calls
    /// [`crate::Endpoint::delete_superseded`] on the shard named by `spi_r`.
    SupersededElsewhere {
        /// Initiator SPI of the old SA.
        spi_i: [u8; 8],
        /// Responder SPI of the old SA.
        spi_r: [u8; 8],
    },
    /// An IKE SA rekey replaced one IKE SA by another (RFC 7296 §1.3.2).
    IkeRekeyed {
        /// Connection name.
        connection: String,
        /// Our SPI of the old SA.
        old_local_spi: [u8; 8],
        /// Our SPI of the new SA.
        new_local_spi: [u8; 8],
    },
    /// An IKE SA ended.
    Closed {
        /// Connection name (empty for half-open responder SAs).
        connection: String,
        /// Our IKE SPI.
        local_spi: [u8; 8],
        /// Why.
        reason: SaError,
    },
}

/// IKE SA state as reported by `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaState {
    /// IKE_SA_INIT sent or received.
    Connecting,
    /// IKE_AUTH in progress.
    Authenticating,
    /// Established.
    Established,
    /// Being deleted.
    Deleting,
}

impl SaState {
    /// Upper-case name as in strongSwan's `--list-sas`.
    pub fn as_str(self) -> &'static str {
        match self {
            SaState::Connecting => "CONNECTING",
            SaState::Authenticating => "AUTHENTICATING",
            SaState::Established => "ESTABLISHED",
            SaState::Deleting => "DELETING",
        }
    }
}

/// Snapshot of one IKE SA.
#[derive(Debug, Clone)]
pub struct SaInfo {
    /// Connection name.
    pub connection: String,
    /// State.
    pub state: SaState,
    /// Did we initiate this SA?
    pub initiator: bool,
    /// Initiator SPI.
    pub spi_i: [u8; 8],
    /// Responder SPI.
    pub spi_r: [u8; 8],
    /// Local address.
    pub local: SocketAddr,
    /// Remote address.
    pub remote: SocketAddr,
    /// Local identity (display form).
    pub local_id: String,
    /// Remote identity (display form).
    pub remote_id: String,
    /// Negotiated IKE algorithms, strongSwan style, e.g. `AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519`.
    pub proposal: String,
    /// NAT detected between the peers.
    pub nat_detected: bool,
    /// Created by RFC 5723 resumption rather than a full handshake.
    pub resumed: bool,
    /// Expiry (Unix seconds) of the resumption ticket we hold for this SA, if any.
    pub ticket_expires: Option<u64>,
    /// Child SAs.
    pub children: Vec<ChildInfo>,
}

/// Snapshot of one Child SA.
#[derive(Debug, Clone)]
pub struct ChildInfo {
    /// Child name.
    pub name: String,
    /// Inbound SPI.
    pub spi_in: u32,
    /// Outbound SPI.
    pub spi_out: u32,
    /// ESP algorithms.
    pub proposal: String,
    /// Mode.
    pub mode: ChildMode,
    /// Local traffic selectors (display form).
    pub local_ts: Vec<String>,
    /// Remote traffic selectors (display form).
    pub remote_ts: Vec<String>,
}

/// The IKE SA keys Wireshark needs to decrypt SK payloads (its `ikev2_decryption_table`).
/// Only produced when [`crate::EndpointConfig::export_keys`] is on. `Debug` prints no key.
pub struct IkeKeyExport {
    /// Initiator SPI.
    pub spi_i: [u8; 8],
    /// Responder SPI.
    pub spi_r: [u8; 8],
    /// Encryption algorithm.
    pub encr: EncrAlg,
    /// Integrity algorithm (None for AEAD).
    pub integ: Option<IntegAlg>,
    /// SK_ei (with salt for AEAD).
    pub sk_ei: ike_crypto::SecretBytes,
    /// SK_er.
    pub sk_er: ike_crypto::SecretBytes,
    /// SK_ai (empty for AEAD).
    pub sk_ai: ike_crypto::SecretBytes,
    /// SK_ar.
    pub sk_ar: ike_crypto::SecretBytes,
}

impl std::fmt::Debug for IkeKeyExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IkeKeyExport")
            .field("encr", &self.encr)
            .finish_non_exhaustive()
    }
}

impl IkeKeyExport {
    /// One line of Wireshark's `ikev2_decryption_table` UAT file (the format strongSwan's
    /// save-keys plugin writes): SPIs, SK_ei, SK_er, encryption name, SK_ai, SK_ar, integrity name.
    pub fn wireshark_line(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let encr = match self.encr {
            EncrAlg::AesCbc128 => "AES-CBC-128 [RFC3602]",
            EncrAlg::AesCbc256 => "AES-CBC-256 [RFC3602]",
            EncrAlg::AesGcm16_128 => "AES-GCM-128 with 16 octet ICV [RFC5282]",
            EncrAlg::AesGcm16_256 => "AES-GCM-256 with 16 octet ICV [RFC5282]",
            EncrAlg::ChaCha20Poly1305 => "CHACHA20-POLY1305 [RFC7634]",
        };
        let integ = match self.integ {
            None => "NONE [RFC4306]",
            Some(IntegAlg::HmacSha256_128) => "HMAC_SHA2_256_128 [RFC4868]",
            Some(IntegAlg::HmacSha384_192) => "HMAC_SHA2_384_192 [RFC4868]",
            Some(IntegAlg::HmacSha512_256) => "HMAC_SHA2_512_256 [RFC4868]",
        };
        format!(
            "{},{},{},{},\"{encr}\",{},{},\"{integ}\"",
            hex(&self.spi_i),
            hex(&self.spi_r),
            hex(self.sk_ei.expose()),
            hex(self.sk_er.expose()),
            hex(self.sk_ai.expose()),
            hex(self.sk_ar.expose()),
        )
    }
}
