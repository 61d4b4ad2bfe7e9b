//! Payload bodies, one module per concern, and the [`Payload`] sum type.
//!
//! Each payload struct has `parse_body(&[u8])` (the bytes after the 4-octet generic header)
//! and `emit_body(&mut Vec<u8>)`. Emit checks the same invariants parse does, so whatever
//! emits also parses.

mod auth;
mod cert;
mod cp;
mod delete;
mod eap;
mod encrypted;
mod id;
mod ke;
mod notify;
mod opaque;
mod sa;
mod ticket;
mod ts;

pub use auth::AuthPayload;
pub use cert::{CertPayload, CertReqPayload};
pub use cp::{CfgAttribute, CpPayload};
pub use delete::DeletePayload;
pub use eap::EapPayload;
pub use encrypted::{EncryptedFragmentPayload, EncryptedPayload};
pub use id::IdPayload;
pub use ke::KePayload;
pub use notify::NotifyPayload;
pub use opaque::{NoncePayload, UnknownPayload, VendorIdPayload};
pub use sa::{ATTR_KEY_LENGTH, Proposal, SaPayload, Transform, TransformAttribute};
pub use ticket::TicketLtOpaque;
pub use ts::{TrafficSelector, TsPayload};

use crate::codepoints::PayloadType;
use crate::error::WireError;
use crate::message::RawPayload;

/// Any IKEv2 payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Security Association (33).
    Sa(SaPayload),
    /// Key Exchange (34).
    Ke(KePayload),
    /// Identification - Initiator (35).
    IdI(IdPayload),
    /// Identification - Responder (36).
    IdR(IdPayload),
    /// Certificate (37).
    Cert(CertPayload),
    /// Certificate Request (38).
    CertReq(CertReqPayload),
    /// Authentication (39).
    Auth(AuthPayload),
    /// Nonce (40).
    Nonce(NoncePayload),
    /// Notify (41).
    Notify(NotifyPayload),
    /// Delete (42).
    Delete(DeletePayload),
    /// Vendor ID (43).
    VendorId(VendorIdPayload),
    /// Traffic Selector - Initiator (44).
    TsI(TsPayload),
    /// Traffic Selector - Responder (45).
    TsR(TsPayload),
    /// Encrypted and Authenticated (46); always last in its chain.
    Encrypted(EncryptedPayload),
    /// Encrypted and Authenticated Fragment (53); always last in its chain.
    EncryptedFragment(EncryptedFragmentPayload),
    /// Configuration (47).
    Cp(CpPayload),
    /// Extensible Authentication (48).
    Eap(EapPayload),
    /// A non-critical payload of a type this crate does not know.
    Unknown(UnknownPayload),
}

impl Payload {
    /// The payload type as it goes into the previous payload's Next Payload field.
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Payload::Sa(_) => PayloadType::SecurityAssociation,
            Payload::Ke(_) => PayloadType::KeyExchange,
            Payload::IdI(_) => PayloadType::IdInitiator,
            Payload::IdR(_) => PayloadType::IdResponder,
            Payload::Cert(_) => PayloadType::Certificate,
            Payload::CertReq(_) => PayloadType::CertificateRequest,
            Payload::Auth(_) => PayloadType::Authentication,
            Payload::Nonce(_) => PayloadType::Nonce,
            Payload::Notify(_) => PayloadType::Notify,
            Payload::Delete(_) => PayloadType::Delete,
            Payload::VendorId(_) => PayloadType::VendorId,
            Payload::TsI(_) => PayloadType::TsInitiator,
            Payload::TsR(_) => PayloadType::TsResponder,
            Payload::Encrypted(_) => PayloadType::Encrypted,
            Payload::EncryptedFragment(_) => PayloadType::EncryptedFragment,
            Payload::Cp(_) => PayloadType::Configuration,
            Payload::Eap(_) => PayloadType::Eap,
            Payload::Unknown(u) => PayloadType::from(u.payload_type),
        }
    }

    /// Whether this is SK or SKF, whose Next Payload field is the first inner type.
    pub fn is_encrypted(&self) -> bool {
        matches!(self, Payload::Encrypted(_) | Payload::EncryptedFragment(_))
    }

    /// Parse one payload found by the chain walker.
    ///
    /// Unknown types become [`Payload::Unknown`]; the walker has already refused unknown
    /// critical ones.
    pub fn parse(raw: &RawPayload<'_>) -> Result<Payload, WireError> {
        let b = raw.body;
        Ok(match raw.payload_type {
            PayloadType::SecurityAssociation => Payload::Sa(SaPayload::parse_body(b)?),
            PayloadType::KeyExchange => Payload::Ke(KePayload::parse_body(b)?),
            PayloadType::IdInitiator => Payload::IdI(IdPayload::parse_body(b)?),
            PayloadType::IdResponder => Payload::IdR(IdPayload::parse_body(b)?),
            PayloadType::Certificate => Payload::Cert(CertPayload::parse_body(b)?),
            PayloadType::CertificateRequest => Payload::CertReq(CertReqPayload::parse_body(b)?),
            PayloadType::Authentication => Payload::Auth(AuthPayload::parse_body(b)?),
            PayloadType::Nonce => Payload::Nonce(NoncePayload::parse_body(b)?),
            PayloadType::Notify => Payload::Notify(NotifyPayload::parse_body(b)?),
            PayloadType::Delete => Payload::Delete(DeletePayload::parse_body(b)?),
            PayloadType::VendorId => Payload::VendorId(VendorIdPayload::parse_body(b)?),
            PayloadType::TsInitiator => Payload::TsI(TsPayload::parse_body(b)?),
            PayloadType::TsResponder => Payload::TsR(TsPayload::parse_body(b)?),
            PayloadType::Encrypted => {
                Payload::Encrypted(EncryptedPayload::parse_body(raw.next_payload, b)?)
            }
            PayloadType::EncryptedFragment => Payload::EncryptedFragment(
                EncryptedFragmentPayload::parse_body(raw.next_payload, b)?,
            ),
            PayloadType::Configuration => Payload::Cp(CpPayload::parse_body(b)?),
            PayloadType::Eap => Payload::Eap(EapPayload::parse_body(b)?),
            other => {
                // NoNext never reaches here (the walker stops on it); everything else unnamed.
                if raw.critical {
                    return Err(WireError::UnsupportedCriticalPayload(other.into()));
                }
                Payload::Unknown(UnknownPayload {
                    payload_type: other.into(),
                    critical: false,
                    body: b.to_vec(),
                })
            }
        })
    }

    /// Append this payload's body (no generic header).
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            Payload::Sa(p) => p.emit_body(out),
            Payload::Ke(p) => p.emit_body(out),
            Payload::IdI(p) | Payload::IdR(p) => p.emit_body(out),
            Payload::Cert(p) => p.emit_body(out),
            Payload::CertReq(p) => p.emit_body(out),
            Payload::Auth(p) => p.emit_body(out),
            Payload::Nonce(p) => p.emit_body(out),
            Payload::Notify(p) => p.emit_body(out),
            Payload::Delete(p) => p.emit_body(out),
            Payload::VendorId(p) => p.emit_body(out),
            Payload::TsI(p) | Payload::TsR(p) => p.emit_body(out),
            Payload::Encrypted(p) => p.emit_body(out),
            Payload::EncryptedFragment(p) => p.emit_body(out),
            Payload::Cp(p) => p.emit_body(out),
            Payload::Eap(p) => p.emit_body(out),
            Payload::Unknown(p) => {
                // A named type here would be re-parsed as that type: refuse to emit it.
                if !matches!(PayloadType::from(p.payload_type), PayloadType::Unknown(_)) {
                    return Err(WireError::Malformed("unknown payload uses a known type"));
                }
                out.extend_from_slice(&p.body);
                Ok(())
            }
        }
    }

    /// The critical bit to emit: set only on unknown payloads that ask for it (RFC 7296 §3.2
    /// requires 0 for every payload type it defines).
    pub(crate) fn critical(&self) -> bool {
        matches!(
            self,
            Payload::Unknown(UnknownPayload { critical: true, .. })
        )
    }
}

/// Shared per-payload test: parse, emit, every truncation rejected.
#[cfg(test)]
pub(crate) mod test_util {
    use super::Payload;
    use crate::message::{emit_payload_chain, parse_payload_chain};

    /// `full` is one payload with its generic header and Next Payload 0 (or, for SK/SKF, the
    /// first inner type).
    pub(crate) fn check_payload(full: &[u8], expected: Payload) {
        let t = expected.payload_type();
        let parsed = parse_payload_chain(t, full).expect("vector parses");
        assert_eq!(parsed, vec![expected.clone()]);
        let mut out = Vec::new();
        assert_eq!(emit_payload_chain(&[expected], &mut out), t);
        assert_eq!(out, full, "emit reproduces the vector");
        for n in 0..full.len() {
            assert!(
                parse_payload_chain(t, &full[..n]).is_err(),
                "prefix of {n} octets accepted"
            );
        }
    }
}
