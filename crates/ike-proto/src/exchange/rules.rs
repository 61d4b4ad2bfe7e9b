//! One payload-rules table for every (exchange, request/response) pair, checked before any
//! exchange handler sees a message (strongSwan's `payload_rule_t`, made declarative).
//!
//! A rule lists the payload types allowed, and how many of each. Notify, Vendor ID and unknown
//! non-critical payloads are allowed everywhere (RFC 7296 §3.10, §3.12, §2.5).

use ike_wire::{ExchangeType, Payload, PayloadType};

use crate::error::PeerMisbehaved;

/// (payload type, min, max) for one message kind.
type Rule = &'static [(PayloadType, u8, u8)];

use PayloadType as P;

const MANY: u8 = u8::MAX;

const IKE_SA_INIT_REQ: Rule = &[
    (P::SecurityAssociation, 1, 1),
    (P::KeyExchange, 1, 1),
    (P::Nonce, 1, 1),
];
// A response may be a bare notify (COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN).
const IKE_SA_INIT_RESP: Rule = &[
    (P::SecurityAssociation, 0, 1),
    (P::KeyExchange, 0, 1),
    (P::Nonce, 0, 1),
    (P::CertificateRequest, 0, MANY),
];
const IKE_AUTH_REQ: Rule = &[
    (P::IdInitiator, 1, 1),
    (P::IdResponder, 0, 1),
    (P::Certificate, 0, 4),
    (P::CertificateRequest, 0, MANY),
    (P::Authentication, 0, 1),
    (P::SecurityAssociation, 0, 1),
    (P::TsInitiator, 0, 1),
    (P::TsResponder, 0, 1),
    (P::Configuration, 0, 1),
    (P::Eap, 0, 1),
];
const IKE_AUTH_RESP: Rule = &[
    (P::IdResponder, 0, 1),
    (P::Certificate, 0, 4),
    (P::Authentication, 0, 1),
    (P::SecurityAssociation, 0, 1),
    (P::TsInitiator, 0, 1),
    (P::TsResponder, 0, 1),
    (P::Configuration, 0, 1),
    (P::Eap, 0, 1),
];
const CREATE_CHILD_SA: Rule = &[
    (P::SecurityAssociation, 0, 1),
    (P::Nonce, 0, 1),
    (P::KeyExchange, 0, 1),
    (P::TsInitiator, 0, 1),
    (P::TsResponder, 0, 1),
];
// RFC 5723 §4.3.2: HDR, Ni, N(TICKET_OPAQUE) [,N+] → HDR, Nr [,N+] (or a bare TICKET_NACK).
const IKE_SESSION_RESUME_REQ: Rule = &[(P::Nonce, 1, 1)];
const IKE_SESSION_RESUME_RESP: Rule = &[(P::Nonce, 0, 1)];
const INFORMATIONAL: Rule = &[(P::Delete, 0, MANY), (P::Configuration, 0, 1)];

fn rule_for(exchange: ExchangeType, response: bool) -> Option<Rule> {
    Some(match (exchange, response) {
        (ExchangeType::IkeSaInit, false) => IKE_SA_INIT_REQ,
        (ExchangeType::IkeSaInit, true) => IKE_SA_INIT_RESP,
        (ExchangeType::IkeAuth, false) => IKE_AUTH_REQ,
        (ExchangeType::IkeAuth, true) => IKE_AUTH_RESP,
        (ExchangeType::CreateChildSa, _) => CREATE_CHILD_SA,
        (ExchangeType::IkeSessionResume, false) => IKE_SESSION_RESUME_REQ,
        (ExchangeType::IkeSessionResume, true) => IKE_SESSION_RESUME_RESP,
        (ExchangeType::Informational, _) => INFORMATIONAL,
        _ => return None,
    })
}

/// Check the (decrypted) payloads of a message against the table.
pub(crate) fn check(
    exchange: ExchangeType,
    response: bool,
    payloads: &[Payload],
) -> Result<(), PeerMisbehaved> {
    let Some(rule) = rule_for(exchange, response) else {
        return Err(PeerMisbehaved::InvalidSyntax("unexpected exchange type"));
    };
    for p in payloads {
        let t = p.payload_type();
        if matches!(t, P::Notify | P::VendorId | P::Unknown(_)) {
            continue;
        }
        if !rule.iter().any(|(rt, _, _)| *rt == t) {
            return Err(PeerMisbehaved::InvalidSyntax(
                "payload not allowed in this message",
            ));
        }
    }
    for (rt, min, max) in rule {
        let n = payloads.iter().filter(|p| p.payload_type() == *rt).count();
        if n < usize::from(*min) || n > usize::from(*max) {
            return Err(PeerMisbehaved::InvalidSyntax("wrong payload count"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_wire::{KePayload, NoncePayload, SaPayload};

    #[test]
    fn ike_sa_init_request_needs_sa_ke_nonce_once() {
        let sa = Payload::Sa(SaPayload { proposals: vec![] });
        let ke = Payload::Ke(KePayload {
            group: ike_wire::DhGroup::Curve25519,
            data: vec![0; 32],
        });
        let n = Payload::Nonce(NoncePayload { data: vec![0; 32] });
        assert!(
            check(
                ExchangeType::IkeSaInit,
                false,
                &[n.clone(), ke.clone(), sa.clone()]
            )
            .is_ok()
        );
        assert!(check(ExchangeType::IkeSaInit, false, &[ke.clone(), sa.clone()]).is_err());
        assert!(
            check(
                ExchangeType::IkeSaInit,
                false,
                &[n.clone(), n.clone(), ke, sa]
            )
            .is_err()
        );
    }

    #[test]
    fn ke_is_not_allowed_in_ike_auth() {
        let ke = Payload::Ke(KePayload {
            group: ike_wire::DhGroup::Curve25519,
            data: vec![0; 32],
        });
        let id = Payload::IdI(ike_wire::IdPayload {
            id_type: ike_wire::IdType::Fqdn,
            data: b"a".to_vec(),
        });
        assert!(check(ExchangeType::IkeAuth, false, std::slice::from_ref(&id)).is_ok());
        assert!(check(ExchangeType::IkeAuth, false, &[id, ke]).is_err());
    }
}
