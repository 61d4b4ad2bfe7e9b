//! IKEv2 cryptography on aws-lc-rs: PRFs, prf+, SKEYSEED (fresh, rekey, RFC 5723 resume),
//! key schedules, Diffie-Hellman groups, AUTH computation and SK payload protection.
//!
//! Key material lives in zeroizing types whose `Debug` prints nothing secret.
//!
//! Module map:
//! - [`alg`]: the closed algorithm enums ([`PrfAlg`], [`EncrAlg`], [`IntegAlg`], [`DhAlg`]) and
//!   the negotiated [`IkeSuite`], with their sizes.
//! - [`prf`]: `PrfAlg::prf`, `PrfAlg::prf_plus` and the streaming [`PrfPlus`].
//! - [`integ`]: `IntegAlg::compute` / `IntegAlg::verify` (truncated HMAC ICVs).
//! - [`kdf`]: SKEYSEED variants, [`IkeKeys`], [`ChildKeys`].
//! - [`auth`]: signed octets, PSK AUTH and resumed-session AUTH.
//! - [`dh`], [`cipher`], [`sk`], [`sig`], [`cert`], [`hash`]: key exchange, ciphers, SK
//!   payload, signatures, certificates, plain hashes (NAT detection, CERTREQ).
#![forbid(unsafe_code)]

pub mod alg;
pub mod auth;
pub mod cert;
pub mod cipher;
pub mod dh;
pub mod error;
pub mod hash;
pub mod integ;
pub mod kdf;
pub mod prf;
pub mod secret;
pub mod sig;
pub mod sk;

pub use alg::{DhAlg, EncrAlg, IkeSuite, IntegAlg, PrfAlg};
pub use auth::{psk_auth, resumed_auth, signed_octets, verify_psk_auth, verify_resumed_auth};
pub use dh::KeyExchange;
pub use error::CryptoError;
pub use kdf::{
    ChildKeys, IkeKeys, derive_child_keys, derive_ike_keys, skeyseed_fresh, skeyseed_rekey,
    skeyseed_resume,
};
pub use prf::PrfPlus;
pub use secret::SecretBytes;
pub use sk::SkKeys;
