//! Identification payloads IDi / IDr (RFC 7296 §3.5).

use crate::codepoints::IdType;
use crate::error::WireError;
use crate::reader::Reader;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Identification payload body: `ID Type(1) | RESERVED(3) | Identification Data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPayload {
    /// ID type.
    pub id_type: IdType,
    /// Identification data; 4 octets for ID_IPV4_ADDR and 16 for ID_IPV6_ADDR (checked).
    pub data: Vec<u8>,
}

impl IdPayload {
    /// An ID_FQDN identity.
    pub fn fqdn(name: &str) -> IdPayload {
        IdPayload {
            id_type: IdType::Fqdn,
            data: name.as_bytes().to_vec(),
        }
    }

    /// An ID_RFC822_ADDR identity.
    pub fn rfc822(addr: &str) -> IdPayload {
        IdPayload {
            id_type: IdType::Rfc822Addr,
            data: addr.as_bytes().to_vec(),
        }
    }

    /// An ID_KEY_ID identity.
    pub fn key_id(id: &[u8]) -> IdPayload {
        IdPayload {
            id_type: IdType::KeyId,
            data: id.to_vec(),
        }
    }

    /// An ID_IPV4_ADDR identity.
    pub fn ipv4(addr: Ipv4Addr) -> IdPayload {
        IdPayload {
            id_type: IdType::Ipv4Addr,
            data: addr.octets().to_vec(),
        }
    }

    /// An ID_IPV6_ADDR identity.
    pub fn ipv6(addr: Ipv6Addr) -> IdPayload {
        IdPayload {
            id_type: IdType::Ipv6Addr,
            data: addr.octets().to_vec(),
        }
    }

    /// `RestOfIDPayload` (IDx' in RFC 7296 §2.15): the body without the generic header,
    /// i.e. `id_type | 3 zero octets | data`. This is what `prf(SK_px, IDx')` covers.
    ///
    /// RESERVED is rebuilt as zeros (RFC 7296 "send 0"); a peer that sent other bits there will
    /// fail AUTH, which is the conservative outcome.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.data.len());
        out.push(self.id_type.into());
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&self.data);
        out
    }

    fn check(&self) -> Result<(), WireError> {
        let ok = match self.id_type {
            IdType::Ipv4Addr => self.data.len() == 4,
            IdType::Ipv6Addr => self.data.len() == 16,
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(WireError::Malformed("ID address length"))
        }
    }

    /// Parse the ID payload body.
    pub fn parse_body(body: &[u8]) -> Result<IdPayload, WireError> {
        let mut r = Reader::new(body);
        let id_type = IdType::from(r.u8()?);
        let _reserved = r.take(3)?;
        let id = IdPayload {
            id_type,
            data: r.rest().to_vec(),
        };
        id.check()?;
        Ok(id)
    }

    /// Append the ID payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        self.check()?;
        out.extend_from_slice(&self.body());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::payload::test_util::check_payload;
    use hex_literal::hex;

    #[test]
    fn fqdn_id() {
        let full = hex!("00 00 0014 02 000000 676174652e6578616d706c65"); // "gate.example"
        let id = IdPayload::fqdn("gate.example");
        assert_eq!(id.body(), full[4..].to_vec());
        check_payload(&full, Payload::IdI(id.clone()));
        let mut full_r = full;
        full_r[0] = 0;
        check_payload(&full_r, Payload::IdR(id));
    }

    #[test]
    fn ipv4_id_and_bad_length() {
        let full = hex!("00 00 000c 01 000000 c0000201");
        check_payload(
            &full,
            Payload::IdI(IdPayload::ipv4(Ipv4Addr::new(192, 0, 2, 1))),
        );
        assert!(IdPayload::parse_body(&hex!("01 000000 c00002")).is_err());
        assert!(IdPayload::parse_body(&hex!("05 000000 c0000201")).is_err());
    }
}
