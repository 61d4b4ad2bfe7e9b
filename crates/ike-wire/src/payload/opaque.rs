//! Payloads whose body is (almost) opaque: Nonce, Vendor ID, and unknown types.

use crate::error::WireError;

/// Smallest and largest nonce (RFC 7296 §3.9: "between 16 and 256 octets, inclusive").
const NONCE_LEN: core::ops::RangeInclusive<usize> = 16..=256;

/// Nonce payload body (RFC 7296 §3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoncePayload {
    /// Nonce data, 16..=256 octets (checked on parse and emit).
    pub data: Vec<u8>,
}

impl NoncePayload {
    /// Parse the Nonce payload body.
    pub fn parse_body(body: &[u8]) -> Result<NoncePayload, WireError> {
        if !NONCE_LEN.contains(&body.len()) {
            return Err(WireError::Malformed("nonce length outside 16..=256"));
        }
        Ok(NoncePayload {
            data: body.to_vec(),
        })
    }

    /// Append the Nonce payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if !NONCE_LEN.contains(&self.data.len()) {
            return Err(WireError::Malformed("nonce length outside 16..=256"));
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Vendor ID payload body (RFC 7296 §3.12): opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorIdPayload {
    /// Vendor ID data.
    pub data: Vec<u8>,
}

impl VendorIdPayload {
    /// Parse the Vendor ID payload body.
    pub fn parse_body(body: &[u8]) -> Result<VendorIdPayload, WireError> {
        Ok(VendorIdPayload {
            data: body.to_vec(),
        })
    }

    /// Append the Vendor ID payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// A payload of a type this crate does not know, kept so callers can skip (or log) it.
///
/// Parsing yields these only with `critical == false`: an unknown critical payload fails the
/// whole message with [`WireError::UnsupportedCriticalPayload`] (RFC 7296 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPayload {
    /// The raw payload type (never one of the named [`crate::PayloadType`] values).
    pub payload_type: u8,
    /// The critical bit as it should be emitted.
    pub critical: bool,
    /// Raw body.
    pub body: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::payload::test_util::check_payload;
    use hex_literal::hex;

    #[test]
    fn nonce() {
        let full = hex!("00 00 0014 000102030405060708090a0b0c0d0e0f");
        check_payload(
            &full,
            Payload::Nonce(NoncePayload {
                data: full[4..].to_vec(),
            }),
        );
        assert!(NoncePayload::parse_body(&[0; 15]).is_err());
        assert!(NoncePayload::parse_body(&[0; 256]).is_ok());
        assert!(NoncePayload::parse_body(&[0; 257]).is_err());
        assert!(
            NoncePayload { data: vec![0; 8] }
                .emit_body(&mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn vendor_id() {
        // strongSwan's vendor ID: MD5("strongSwan").
        let full = hex!("00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb");
        check_payload(
            &full,
            Payload::VendorId(VendorIdPayload {
                data: full[4..].to_vec(),
            }),
        );
    }
}
