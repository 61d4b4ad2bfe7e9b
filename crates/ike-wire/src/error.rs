//! The codec's single error type.

use crate::codepoints::NotifyType;

/// Why a message or payload could not be parsed (or, for [`WireError::TooLong`], emitted).
///
/// Deliberately small and cheap (`Copy`): it says *what* is wrong with the structure, never
/// echoes input bytes, so it is safe to log and maps onto a single wire notify with
/// [`WireError::notify_type`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended before a field or a declared length was complete.
    #[error("truncated input")]
    Truncated,
    /// The IKE header's major version is not 2 (RFC 7296 §2.5).
    #[error("invalid IKE major version {0}")]
    InvalidMajorVersion(u8),
    /// A declared length disagrees with the bytes actually present (IKE header length versus
    /// datagram size, a substructure length versus its contents).
    #[error("length field mismatch")]
    LengthMismatch,
    /// An unknown payload type with the critical bit set (RFC 7296 §2.5, §3.2).
    #[error("unsupported critical payload type {0}")]
    UnsupportedCriticalPayload(u8),
    /// A structural rule was broken; the text names the rule and never contains input data.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A count field (proposals, transforms, SPIs, selectors) disagrees with what was present.
    #[error("count field mismatch")]
    CountMismatch,
    /// Bytes remained after a structure that must consume its whole input.
    #[error("trailing bytes after structure")]
    TrailingData,
    /// A payload followed an SK or SKF payload, which must be last (RFC 7296 §3.14).
    #[error("payload after encrypted payload")]
    PayloadAfterEncrypted,
    /// Emitting would overflow a length field (a payload body over 65531 octets, ...).
    #[error("value too long for its length field")]
    TooLong,
}

impl WireError {
    /// Map this error to the notify a responder sends back.
    ///
    /// RFC 7296 §2.21.2 allows only `INVALID_SYNTAX` or `UNSUPPORTED_CRITICAL_PAYLOAD` for
    /// whole-message parse problems, and §2.5 `INVALID_MAJOR_VERSION` for a version mismatch.
    pub fn notify_type(&self) -> NotifyType {
        match self {
            WireError::UnsupportedCriticalPayload(_) => NotifyType::UnsupportedCriticalPayload,
            WireError::InvalidMajorVersion(_) => NotifyType::InvalidMajorVersion,
            _ => NotifyType::InvalidSyntax,
        }
    }

    /// Data for the `UNSUPPORTED_CRITICAL_PAYLOAD` notify: the one-octet payload type
    /// (RFC 7296 §3.10.1); `None` for every other error.
    pub fn notify_data(&self) -> Option<Vec<u8>> {
        match self {
            WireError::UnsupportedCriticalPayload(t) => Some(vec![*t]),
            _ => None,
        }
    }
}
