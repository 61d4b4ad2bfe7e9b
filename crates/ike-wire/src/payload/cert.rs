//! Certificate and Certificate Request payloads (RFC 7296 §3.6, §3.7).

use crate::codepoints::CertEncoding;
use crate::error::WireError;
use crate::reader::Reader;

/// Certificate payload body: `Cert Encoding(1) | Certificate Data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPayload {
    /// Encoding of `data`.
    pub encoding: CertEncoding,
    /// Certificate data (DER for X.509 Signature).
    pub data: Vec<u8>,
}

/// Certificate Request payload body: `Cert Encoding(1) | Certification Authority`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertReqPayload {
    /// Requested encoding.
    pub encoding: CertEncoding,
    /// Concatenated 20-octet SHA-1 hashes of trusted CA public keys (for X.509), unchecked here.
    pub data: Vec<u8>,
}

fn parse(body: &[u8]) -> Result<(CertEncoding, Vec<u8>), WireError> {
    let mut r = Reader::new(body);
    let encoding = CertEncoding::from(r.u8()?);
    Ok((encoding, r.rest().to_vec()))
}

impl CertPayload {
    /// Parse the CERT payload body.
    pub fn parse_body(body: &[u8]) -> Result<CertPayload, WireError> {
        let (encoding, data) = parse(body)?;
        Ok(CertPayload { encoding, data })
    }

    /// Append the CERT payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.encoding.into());
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl CertReqPayload {
    /// Parse the CERTREQ payload body.
    pub fn parse_body(body: &[u8]) -> Result<CertReqPayload, WireError> {
        let (encoding, data) = parse(body)?;
        Ok(CertReqPayload { encoding, data })
    }

    /// Append the CERTREQ payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.encoding.into());
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
    fn cert_and_certreq() {
        let full = hex!("00 00 0009 04 30820102");
        check_payload(
            &full,
            Payload::Cert(CertPayload {
                encoding: CertEncoding::X509Signature,
                data: hex!("30820102").to_vec(),
            }),
        );
        let full = hex!("00 00 0019 04 00112233445566778899aabbccddeeff00112233");
        check_payload(
            &full,
            Payload::CertReq(CertReqPayload {
                encoding: CertEncoding::X509Signature,
                data: hex!("00112233445566778899aabbccddeeff00112233").to_vec(),
            }),
        );
        assert_eq!(CertPayload::parse_body(&[]), Err(WireError::Truncated));
    }
}
