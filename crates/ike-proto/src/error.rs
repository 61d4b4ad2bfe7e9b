//! Error types of the protocol engine, one enum per layer.
//!
//! Mapping to wire notifies happens in one place: [`PeerMisbehaved::notify`]. Nothing sent to the
//! peer carries more detail than the notify type.

use ike_wire::NotifyType;

/// A configuration the engine cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting is invalid; the text says which and why.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Why a local command could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No connection with that name.
    #[error("no connection named {0:?}")]
    UnknownConnection(String),
    /// The connection has no remote address to initiate to.
    #[error("connection {0:?} has no remote address to initiate to")]
    NoRemoteAddress(String),
    /// No IKE SA for that connection.
    #[error("no IKE SA for connection {0:?}")]
    NoSa(String),
    /// The IKE SA holds no resumption ticket, so it cannot be suspended.
    #[error("connection {0:?} holds no resumption ticket")]
    NoTicket(String),
    /// No suspended session for that connection.
    #[error("connection {0:?} has no suspended session")]
    NotSuspended(String),
    /// A cryptographic operation failed locally.
    #[error("local crypto failure: {0}")]
    Crypto(#[from] ike_crypto::CryptoError),
}

/// Something the peer sent that breaks the protocol; each maps to one notify (or none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The message could not be parsed or has the wrong payload set.
    #[error("invalid syntax: {0}")]
    InvalidSyntax(&'static str),
    /// An unknown payload marked critical.
    #[error("unsupported critical payload {0}")]
    UnsupportedCriticalPayload(u8),
    /// None of the proposals is acceptable.
    #[error("no proposal chosen")]
    NoProposalChosen,
    /// The KE payload uses a group we accept but did not pick; carries our preference.
    #[error("wrong key exchange group, want {0:?}")]
    InvalidKe(ike_wire::DhGroup),
    /// The key exchange data is invalid.
    #[error("invalid key exchange data")]
    InvalidKeData,
    /// Authentication failed (AUTH, identity, certificate).
    #[error("authentication failed: {0}")]
    AuthenticationFailed(&'static str),
    /// Traffic selectors unacceptable.
    #[error("traffic selectors unacceptable")]
    TsUnacceptable,
    /// A resumption ticket was refused.
    #[error("ticket refused")]
    TicketRefused,
}

impl PeerMisbehaved {
    /// The notify that reports this error to the peer.
    pub fn notify(&self) -> NotifyType {
        match self {
            PeerMisbehaved::InvalidSyntax(_) => NotifyType::InvalidSyntax,
            PeerMisbehaved::UnsupportedCriticalPayload(_) => NotifyType::UnsupportedCriticalPayload,
            PeerMisbehaved::NoProposalChosen => NotifyType::NoProposalChosen,
            PeerMisbehaved::InvalidKe(_) => NotifyType::InvalidKePayload,
            PeerMisbehaved::InvalidKeData => NotifyType::InvalidSyntax,
            PeerMisbehaved::AuthenticationFailed(_) => NotifyType::AuthenticationFailed,
            PeerMisbehaved::TsUnacceptable => NotifyType::TsUnacceptable,
            PeerMisbehaved::TicketRefused => NotifyType::TicketNack,
        }
    }
}

impl From<ike_wire::WireError> for PeerMisbehaved {
    fn from(e: ike_wire::WireError) -> Self {
        match e {
            ike_wire::WireError::UnsupportedCriticalPayload(t) => {
                PeerMisbehaved::UnsupportedCriticalPayload(t)
            }
            _ => PeerMisbehaved::InvalidSyntax("malformed message"),
        }
    }
}

/// Why an IKE SA ended; delivered as [`crate::Event::Closed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaError {
    /// Closed by local command.
    #[error("closed locally")]
    LocalClose,
    /// The peer deleted the SA.
    #[error("deleted by peer")]
    PeerDeleted,
    /// No response after all retransmissions.
    #[error("peer not responding (retransmissions exhausted)")]
    Timeout,
    /// The peer rejected our request with an error notify.
    #[error("peer answered {0:?}")]
    PeerError(NotifyType),
    /// The peer sent something we cannot accept.
    #[error("protocol error: {0}")]
    Protocol(#[from] PeerMisbehaved),
    /// A local crypto failure.
    #[error("local crypto failure: {0}")]
    Crypto(ike_crypto::CryptoError),
    /// Replaced by a rekeyed IKE SA.
    #[error("rekeyed")]
    Rekeyed,
    /// Half-open SA timed out waiting for IKE_AUTH.
    #[error("half-open SA expired")]
    HalfOpenExpired,
    /// The liveness check failed.
    #[error("dead peer detected")]
    DeadPeer,
    /// Hard lifetime reached.
    #[error("lifetime expired")]
    Expired,
    /// Replaced by an SA resumed from this session's ticket (RFC 5723 §4.3.4).
    #[error("replaced by a resumed SA")]
    Resumed,
    /// The peer started over with INITIAL_CONTACT; this older SA is gone (RFC 7296 §2.4).
    #[error("replaced (peer sent INITIAL_CONTACT)")]
    InitialContact,
    /// Suspended by local command; the session lives on as a suspended session.
    #[error("suspended")]
    Suspended,
}

impl From<ike_crypto::CryptoError> for SaError {
    fn from(e: ike_crypto::CryptoError) -> Self {
        SaError::Crypto(e)
    }
}
