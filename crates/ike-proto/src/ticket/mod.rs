//! RFC 5723 tickets by value, gateway side: the rotating key ring that seals and opens tickets,
//! the state a ticket carries, and the log of tickets already used.
//!
//! - [`TicketKeyRing`] (STYLE rule 14): current + previous AES-256-GCM key generations, key id
//!   bound as AAD, random nonces, length pre-check, one opaque `None` for every failure.
//! - [`ResumptionState`]: the versioned plaintext inside a ticket (conformance §D.3).
//! - [`UsedTickets`]: ticket id → expiry, bounded, fail-closed when full (§D.6 item 1, #12).
//!
//! The wire format of a ticket is private to the gateway (RFC 5723 §1, App. A); the client side
//! keeps tickets as opaque bytes in a [`crate::suspend::SuspendedSession`].

pub(crate) mod codec;
mod keyring;
mod state;
mod used;

pub use keyring::{
    MAX_TICKET_LEN, TICKET_HEADER_LEN, TICKET_KEY_FILE_MAX_LEN, TICKET_OVERHEAD, TicketKeyRing,
};
pub use state::ResumptionState;
pub use used::UsedTickets;

/// Why ticket-related bytes (a ticket plaintext, the key file, a suspended-session file) were
/// rejected, or a ticket could not be sealed.
///
/// Opening a ticket never reports which of these happened: [`TicketKeyRing::open`] returns one
/// opaque `None`, so nothing about the keys leaks to a peer.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// The input ended before a field it announces.
    #[error("truncated input")]
    Truncated,
    /// Bytes follow the end of a complete encoding.
    #[error("trailing bytes after the encoding")]
    TrailingBytes,
    /// Unknown format version (or, for files, a wrong magic number).
    #[error("unknown format version")]
    BadVersion,
    /// The integrity check of a persisted file failed.
    #[error("integrity check failed (corrupt file)")]
    Corrupt,
    /// The input or output exceeds its format's size limit.
    #[error("too long")]
    TooLong,
    /// Structurally complete but semantically invalid; the string says what (never secret data).
    #[error("invalid: {0}")]
    Invalid(&'static str),
}
