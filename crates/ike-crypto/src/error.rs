//! The single error type of `ike-crypto`.
//!
//! Variants are deliberately coarse: a failed ICV, tag or AUTH check is one
//! [`CryptoError::AuthenticationFailed`], with no hint of *where* the mismatch was, so that
//! nothing derived from an error can serve as an oracle to a peer.

/// Everything that can go wrong inside `ike-crypto`.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The transform, group or method is not implemented by this crate.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// prf+ was asked for more than 255 PRF output blocks (RFC 7296 §2.13: the counter is one
    /// octet).
    #[error("prf+ output longer than 255 blocks requested")]
    PrfPlusTooLong,
    /// A key had the wrong length for its algorithm.
    #[error("invalid key length")]
    InvalidKeyLength,
    /// A peer's public value (KE data) was rejected, e.g. not on the curve or out of range.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// An ICV, AEAD tag or AUTH value did not verify.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// Input was structurally invalid; the string names what (never secret data).
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// The random number generator failed.
    #[error("random number generator failure")]
    Rng,
    /// Creating or checking a signature failed; the string says why.
    #[error("signature error: {0}")]
    Signature(&'static str),
    /// A certificate could not be parsed or did not validate.
    #[error("certificate error: {0}")]
    Certificate(String),
}
