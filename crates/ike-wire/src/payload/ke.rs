//! Key Exchange payload (RFC 7296 §3.4).

use crate::codepoints::DhGroup;
use crate::error::WireError;
use crate::reader::Reader;

/// Key Exchange payload body: `DH Group Num(2) | RESERVED(2) | Key Exchange Data`.
///
/// The data length is checked against the group by the crypto layer, not here (it depends on
/// the group, and unknown groups must still parse so INVALID_KE_PAYLOAD can be answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KePayload {
    /// The group the data belongs to.
    pub group: DhGroup,
    /// Public key exchange value.
    pub data: Vec<u8>,
}

impl KePayload {
    /// Parse the KE payload body.
    pub fn parse_body(body: &[u8]) -> Result<KePayload, WireError> {
        let mut r = Reader::new(body);
        let group = DhGroup::from(r.u16()?);
        let _reserved = r.u16()?;
        Ok(KePayload {
            group,
            data: r.rest().to_vec(),
        })
    }

    /// Append the KE payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&u16::from(self.group).to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.data);
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
    fn curve25519_ke() {
        // 32 arbitrary octets as group-31 KE data: payload length 40, as RFC 8031 §3.1 states.
        let full = hex!(
            "00 00 0028 001f 0000"
            "3db91ae3cba6c5e6b32e7e0e1c30bd34b37dc94c1fa6a3e7e5e2a3f8e1a9dcd5"
        );
        let ke = KePayload {
            group: DhGroup::Curve25519,
            data: hex!("3db91ae3cba6c5e6b32e7e0e1c30bd34b37dc94c1fa6a3e7e5e2a3f8e1a9dcd5").to_vec(),
        };
        check_payload(&full, Payload::Ke(ke));
        for n in 0..4 {
            assert_eq!(
                KePayload::parse_body(&full[4..4 + n]),
                Err(WireError::Truncated)
            );
        }
    }
}
