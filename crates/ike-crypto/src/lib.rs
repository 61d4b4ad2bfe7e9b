//! IKEv2 cryptography on aws-lc-rs: PRFs, prf+, SKEYSEED (fresh, rekey, RFC 5723 resume),
//! key schedules, Diffie-Hellman groups, AUTH computation and SK payload protection.
//!
//! Key material lives in zeroizing types whose `Debug` prints nothing secret.
#![forbid(unsafe_code)]
