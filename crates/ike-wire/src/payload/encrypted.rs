//! Encrypted and Authenticated payload SK (RFC 7296 §3.14) and its fragment form SKF
//! (RFC 7383 §2.5). Bodies are opaque here: IV, ciphertext and ICV are the crypto layer's.

use crate::codepoints::PayloadType;
use crate::error::WireError;
use crate::reader::Reader;

/// SK payload. Its generic header's Next Payload names the first *inner* payload, so it is
/// always the last payload of the outer chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedPayload {
    /// Type of the first payload inside the ciphertext.
    pub first_inner: PayloadType,
    /// `IV | ciphertext (incl. padding and pad length) | ICV`.
    pub data: Vec<u8>,
}

/// SKF payload: one fragment of an SK payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedFragmentPayload {
    /// First inner payload type in fragment 1; 0 in the others (RFC 7383 §2.5, checked by the
    /// reassembly layer, not here).
    pub first_inner: PayloadType,
    /// Fragment number, 1-based.
    pub fragment_number: u16,
    /// Total number of fragments, at least `fragment_number`.
    pub total_fragments: u16,
    /// `IV | ciphertext | ICV` of this fragment.
    pub data: Vec<u8>,
}

impl EncryptedPayload {
    /// Parse an SK body; `first_inner` is the Next Payload field of its generic header.
    pub fn parse_body(
        first_inner: PayloadType,
        body: &[u8],
    ) -> Result<EncryptedPayload, WireError> {
        Ok(EncryptedPayload {
            first_inner,
            data: body.to_vec(),
        })
    }

    /// Append the SK body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl EncryptedFragmentPayload {
    fn check(number: u16, total: u16) -> Result<(), WireError> {
        if number == 0 || total == 0 || number > total {
            return Err(WireError::Malformed("invalid fragment number"));
        }
        Ok(())
    }

    /// Parse an SKF body; `first_inner` is the Next Payload field of its generic header.
    pub fn parse_body(
        first_inner: PayloadType,
        body: &[u8],
    ) -> Result<EncryptedFragmentPayload, WireError> {
        let mut r = Reader::new(body);
        let fragment_number = r.u16()?;
        let total_fragments = r.u16()?;
        Self::check(fragment_number, total_fragments)?;
        Ok(EncryptedFragmentPayload {
            first_inner,
            fragment_number,
            total_fragments,
            data: r.rest().to_vec(),
        })
    }

    /// Append the SKF body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Self::check(self.fragment_number, self.total_fragments)?;
        out.extend_from_slice(&self.fragment_number.to_be_bytes());
        out.extend_from_slice(&self.total_fragments.to_be_bytes());
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
    fn sk_rfc7634() {
        // RFC 7634 Appendix B "Encrypted Payload": first inner payload N (0x29).
        let full = hex!(
            "29 00 0029 1011121314151617 61039470 1f8d017f 7c129248 89"
            "6b71bfe2 5236efd7 cdc67066 906315b2"
        );
        let sk = EncryptedPayload {
            first_inner: PayloadType::Notify,
            data: full[4..].to_vec(),
        };
        check_payload(&full, Payload::Encrypted(sk));
    }

    #[test]
    fn skf() {
        let full = hex!("2e 00 000c 0001 0003 aabbccdd");
        let skf = EncryptedFragmentPayload {
            first_inner: PayloadType::Encrypted,
            fragment_number: 1,
            total_fragments: 3,
            data: hex!("aabbccdd").to_vec(),
        };
        check_payload(&full, Payload::EncryptedFragment(skf));
        for bad in [hex!("0000 0003"), hex!("0001 0000"), hex!("0004 0003")] {
            assert!(EncryptedFragmentPayload::parse_body(PayloadType::NoNext, &bad).is_err());
        }
        assert_eq!(
            EncryptedFragmentPayload::parse_body(PayloadType::NoNext, &hex!("000100")),
            Err(WireError::Truncated)
        );
    }
}
