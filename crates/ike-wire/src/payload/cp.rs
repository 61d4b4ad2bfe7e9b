//! Configuration payload (RFC 7296 §3.15).

use crate::codepoints::{CfgAttributeType, CfgType};
use crate::error::WireError;
use crate::reader::Reader;

/// The attribute type field is 15 bits; the top bit is RESERVED (send 0, ignore).
const ATTR_TYPE_MASK: u16 = 0x7fff;

/// Configuration payload body: `CFG Type(1) | RESERVED(3) | attributes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpPayload {
    /// CFG_REQUEST, CFG_REPLY, CFG_SET or CFG_ACK.
    pub cfg_type: CfgType,
    /// Attributes in wire order.
    pub attributes: Vec<CfgAttribute>,
}

/// One configuration attribute: `R(1 bit) | Type(15) | Length(2) | Value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfgAttribute {
    /// Attribute type (15 bits).
    pub attr_type: CfgAttributeType,
    /// Value; empty in a request for "anything" (RFC 7296 §3.15.1).
    pub value: Vec<u8>,
}

impl CpPayload {
    /// Parse the CP payload body.
    pub fn parse_body(body: &[u8]) -> Result<CpPayload, WireError> {
        let mut r = Reader::new(body);
        let cfg_type = CfgType::from(r.u8()?);
        let _reserved = r.take(3)?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            let attr_type = CfgAttributeType::from(r.u16()? & ATTR_TYPE_MASK);
            let len = usize::from(r.u16()?);
            attributes.push(CfgAttribute {
                attr_type,
                value: r.take(len)?.to_vec(),
            });
        }
        Ok(CpPayload {
            cfg_type,
            attributes,
        })
    }

    /// Append the CP payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&[self.cfg_type.into(), 0, 0, 0]);
        for a in &self.attributes {
            let t = u16::from(a.attr_type);
            if t > ATTR_TYPE_MASK {
                return Err(WireError::Malformed(
                    "configuration attribute type over 15 bits",
                ));
            }
            let len = u16::try_from(a.value.len()).map_err(|_| WireError::TooLong)?;
            out.extend_from_slice(&t.to_be_bytes());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&a.value);
        }
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
    fn cfg_request_and_reply() {
        // CFG_REQUEST asking for an IPv4 address and DNS (empty values).
        let full = hex!("00 00 0010 01 000000 0001 0000 0003 0000");
        let req = CpPayload {
            cfg_type: CfgType::Request,
            attributes: vec![
                CfgAttribute {
                    attr_type: CfgAttributeType::InternalIp4Address,
                    value: vec![],
                },
                CfgAttribute {
                    attr_type: CfgAttributeType::InternalIp4Dns,
                    value: vec![],
                },
            ],
        };
        check_payload(&full, Payload::Cp(req));
        let full = hex!("00 00 0018 02 000000 0001 0004 c0000264 0003 0004 c0000235");
        let reply = CpPayload {
            cfg_type: CfgType::Reply,
            attributes: vec![
                CfgAttribute {
                    attr_type: CfgAttributeType::InternalIp4Address,
                    value: hex!("c0000264").to_vec(),
                },
                CfgAttribute {
                    attr_type: CfgAttributeType::InternalIp4Dns,
                    value: hex!("c0000235").to_vec(),
                },
            ],
        };
        check_payload(&full, Payload::Cp(reply));
        // A dangling partial attribute header is truncation, not silently dropped.
        assert_eq!(
            CpPayload::parse_body(&hex!("02 000000 00")),
            Err(WireError::Truncated)
        );
    }
}
