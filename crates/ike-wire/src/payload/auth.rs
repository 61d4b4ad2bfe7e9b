//! Authentication payload (RFC 7296 §3.8).

use crate::codepoints::AuthMethod;
use crate::error::WireError;
use crate::reader::Reader;

/// Authentication payload body: `Auth Method(1) | RESERVED(3) | Authentication Data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPayload {
    /// Authentication method.
    pub method: AuthMethod,
    /// Authentication data (MAC or signature); compared in constant time by the caller.
    pub data: Vec<u8>,
}

impl AuthPayload {
    /// Parse the AUTH payload body.
    pub fn parse_body(body: &[u8]) -> Result<AuthPayload, WireError> {
        let mut r = Reader::new(body);
        let method = AuthMethod::from(r.u8()?);
        let _reserved = r.take(3)?;
        Ok(AuthPayload {
            method,
            data: r.rest().to_vec(),
        })
    }

    /// Append the AUTH payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&[self.method.into(), 0, 0, 0]);
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
    fn psk_auth() {
        let full = hex!("00 00 0010 02 000000 0102030405060708");
        check_payload(
            &full,
            Payload::Auth(AuthPayload {
                method: AuthMethod::SharedKeyMic,
                data: hex!("0102030405060708").to_vec(),
            }),
        );
        for n in 0..4 {
            assert_eq!(
                AuthPayload::parse_body(&full[4..4 + n]),
                Err(WireError::Truncated)
            );
        }
    }
}
