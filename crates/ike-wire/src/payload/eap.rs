//! Extensible Authentication payload (RFC 7296 §3.16).

use crate::error::WireError;
use crate::reader::Reader;

/// EAP payload body: one whole EAP message (RFC 3748 §4), `Code | Identifier | Length | ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EapPayload {
    /// The EAP message; its own Length field equals its length (checked).
    pub data: Vec<u8>,
}

impl EapPayload {
    fn check(data: &[u8]) -> Result<(), WireError> {
        let mut r = Reader::new(data);
        let _code = r.u8()?;
        let _identifier = r.u8()?;
        let len = usize::from(r.u16()?);
        if len != data.len() {
            return Err(WireError::LengthMismatch);
        }
        Ok(())
    }

    /// Parse the EAP payload body.
    pub fn parse_body(body: &[u8]) -> Result<EapPayload, WireError> {
        Self::check(body)?;
        Ok(EapPayload {
            data: body.to_vec(),
        })
    }

    /// Append the EAP payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Self::check(&self.data)?;
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
    fn eap_identity_and_success() {
        // EAP-Response/Identity "user".
        let full = hex!("00 00 000d 02 01 0009 01 75736572");
        check_payload(
            &full,
            Payload::Eap(EapPayload {
                data: full[4..].to_vec(),
            }),
        );
        // EAP-Success: 4 octets.
        check_payload(
            &hex!("00 00 0008 03 01 0004"),
            Payload::Eap(EapPayload {
                data: hex!("03010004").to_vec(),
            }),
        );
        assert_eq!(
            EapPayload::parse_body(&hex!("02 01 0008 01 75736572")),
            Err(WireError::LengthMismatch)
        );
        assert_eq!(
            EapPayload::parse_body(&hex!("02 01 00")),
            Err(WireError::Truncated)
        );
    }
}
