//! Security Association payload: proposals, transforms, attributes (RFC 7296 §3.3).

use crate::codepoints::{DhGroup, EncrId, EsnId, IntegId, PrfId, ProtocolId, TransformType};
use crate::error::WireError;
use crate::reader::{Reader, patch_u16};

/// Transform attribute type for Key Length, in bits (RFC 7296 §3.3.5); always TV format.
pub const ATTR_KEY_LENGTH: u16 = 14;

/// "Last Substruc" value of a proposal followed by another (RFC 7296 §3.3.1).
const PROPOSAL_MORE: u8 = 2;
/// "Last Substruc" value of a transform followed by another (RFC 7296 §3.3.2).
const TRANSFORM_MORE: u8 = 3;
/// The AF bit: attribute is TV (value in the length slot) rather than TLV.
const ATTR_FORMAT_TV: u16 = 0x8000;

/// Security Association payload body: one or more proposals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaPayload {
    /// Proposals in wire order.
    pub proposals: Vec<Proposal>,
}

/// One proposal substructure (RFC 7296 §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// Proposal number: 1, 2, ... in an offer; the chosen offer's number in an answer.
    pub number: u8,
    /// Protocol the proposal is for.
    pub protocol: ProtocolId,
    /// SPI (empty in IKE_SA_INIT, 8 octets for an IKE rekey, 4 for AH/ESP).
    pub spi: Vec<u8>,
    /// Transforms in wire order.
    pub transforms: Vec<Transform>,
}

/// One transform substructure (RFC 7296 §3.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// Transform type (ENCR, PRF, ...).
    pub transform_type: TransformType,
    /// Transform ID, interpreted per type (see the typed accessors).
    pub transform_id: u16,
    /// Attributes in wire order.
    pub attributes: Vec<TransformAttribute>,
}

/// A transform attribute (RFC 7296 §3.3.5). `attr_type` is 15 bits; the AF bit is the variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformAttribute {
    /// Type/Value: a 2-octet value (Key Length is `Tv { attr_type: 14, .. }`, `0x800E` on wire).
    Tv {
        /// Attribute type (15 bits).
        attr_type: u16,
        /// Value.
        value: u16,
    },
    /// Type/Length/Value.
    Tlv {
        /// Attribute type (15 bits).
        attr_type: u16,
        /// Value (at most 65535 octets).
        value: Vec<u8>,
    },
}

impl Transform {
    /// A transform without attributes.
    pub fn new(transform_type: TransformType, transform_id: u16) -> Transform {
        Transform {
            transform_type,
            transform_id,
            attributes: Vec::new(),
        }
    }

    /// A transform with a Key Length attribute (required for AES-CBC/CTR/GCM, RFC 7296 §3.3.5).
    pub fn with_key_length(
        transform_type: TransformType,
        transform_id: u16,
        bits: u16,
    ) -> Transform {
        Transform {
            transform_type,
            transform_id,
            attributes: vec![TransformAttribute::Tv {
                attr_type: ATTR_KEY_LENGTH,
                value: bits,
            }],
        }
    }

    /// An ENCR transform, with a Key Length attribute when `key_bits` is given.
    pub fn encr(id: EncrId, key_bits: Option<u16>) -> Transform {
        match key_bits {
            Some(bits) => Transform::with_key_length(TransformType::Encr, id.into(), bits),
            None => Transform::new(TransformType::Encr, id.into()),
        }
    }

    /// A PRF transform.
    pub fn prf(id: PrfId) -> Transform {
        Transform::new(TransformType::Prf, id.into())
    }

    /// An INTEG transform.
    pub fn integ(id: IntegId) -> Transform {
        Transform::new(TransformType::Integ, id.into())
    }

    /// A DH (key exchange) transform.
    pub fn dh(group: DhGroup) -> Transform {
        Transform::new(TransformType::Dh, group.into())
    }

    /// An ESN transform.
    pub fn esn(id: EsnId) -> Transform {
        Transform::new(TransformType::Esn, id.into())
    }

    /// The Key Length attribute in bits, if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            TransformAttribute::Tv {
                attr_type: ATTR_KEY_LENGTH,
                value,
            } => Some(*value),
            _ => None,
        })
    }

    fn parse(body: &[u8]) -> Result<Transform, WireError> {
        let mut r = Reader::new(body);
        let transform_type = TransformType::from(r.u8()?);
        let _reserved = r.u8()?;
        let transform_id = r.u16()?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            attributes.push(TransformAttribute::parse(&mut r)?);
        }
        Ok(Transform {
            transform_type,
            transform_id,
            attributes,
        })
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        out.extend_from_slice(&[if last { 0 } else { TRANSFORM_MORE }, 0, 0, 0]);
        out.push(self.transform_type.into());
        out.push(0);
        out.extend_from_slice(&self.transform_id.to_be_bytes());
        for a in &self.attributes {
            a.emit(out)?;
        }
        let len = out.len() - start;
        patch_u16(out, start + 2, len)
    }
}

impl TransformAttribute {
    /// The 15-bit attribute type.
    pub fn attr_type(&self) -> u16 {
        match self {
            TransformAttribute::Tv { attr_type, .. }
            | TransformAttribute::Tlv { attr_type, .. } => *attr_type & !ATTR_FORMAT_TV,
        }
    }

    fn parse(r: &mut Reader<'_>) -> Result<TransformAttribute, WireError> {
        let raw = r.u16()?;
        let attr_type = raw & !ATTR_FORMAT_TV;
        if raw & ATTR_FORMAT_TV != 0 {
            return Ok(TransformAttribute::Tv {
                attr_type,
                value: r.u16()?,
            });
        }
        if attr_type == ATTR_KEY_LENGTH {
            return Err(WireError::Malformed("key length attribute must be TV"));
        }
        let len = usize::from(r.u16()?);
        Ok(TransformAttribute::Tlv {
            attr_type,
            value: r.take(len)?.to_vec(),
        })
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            TransformAttribute::Tv { attr_type, value } => {
                out.extend_from_slice(&(ATTR_FORMAT_TV | attr_type).to_be_bytes());
                out.extend_from_slice(&value.to_be_bytes());
            }
            TransformAttribute::Tlv { attr_type, value } => {
                if attr_type & !ATTR_FORMAT_TV == ATTR_KEY_LENGTH {
                    return Err(WireError::Malformed("key length attribute must be TV"));
                }
                let len = u16::try_from(value.len()).map_err(|_| WireError::TooLong)?;
                out.extend_from_slice(&(attr_type & !ATTR_FORMAT_TV).to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(value);
            }
        }
        Ok(())
    }
}

impl Proposal {
    /// The transforms of one type, in wire order.
    pub fn transforms_of(&self, t: TransformType) -> impl Iterator<Item = &Transform> + '_ {
        self.transforms
            .iter()
            .filter(move |x| x.transform_type == t)
    }

    fn parse(body: &[u8]) -> Result<Proposal, WireError> {
        let mut r = Reader::new(body);
        let number = r.u8()?;
        let protocol = ProtocolId::from(r.u8()?);
        let spi_size = r.u8()?;
        let num_transforms = r.u8()?;
        check_spi_size(protocol, usize::from(spi_size))?;
        let spi = r.take(usize::from(spi_size))?.to_vec();
        if num_transforms == 0 {
            return Err(WireError::Malformed("proposal without transforms"));
        }
        let mut transforms = Vec::new();
        for i in 0..num_transforms {
            if r.is_empty() {
                return Err(WireError::CountMismatch);
            }
            let last = r.u8()?;
            let _reserved = r.u8()?;
            let len = usize::from(r.u16()?);
            if len < 8 {
                return Err(WireError::Malformed("transform length below 8"));
            }
            transforms.push(Transform::parse(r.take(len - 4)?)?);
            let is_last = i + 1 == num_transforms;
            match (last, is_last) {
                (0, true) | (TRANSFORM_MORE, false) => {}
                (0, false) | (TRANSFORM_MORE, true) => return Err(WireError::CountMismatch),
                _ => return Err(WireError::Malformed("invalid transform last-substruc")),
            }
        }
        r.finish()?;
        Ok(Proposal {
            number,
            protocol,
            spi,
            transforms,
        })
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        check_spi_size(self.protocol, self.spi.len())?;
        let spi_size = u8::try_from(self.spi.len()).map_err(|_| WireError::TooLong)?;
        let count = u8::try_from(self.transforms.len()).map_err(|_| WireError::TooLong)?;
        if count == 0 {
            return Err(WireError::Malformed("proposal without transforms"));
        }
        let start = out.len();
        out.extend_from_slice(&[if last { 0 } else { PROPOSAL_MORE }, 0, 0, 0]);
        out.extend_from_slice(&[self.number, self.protocol.into(), spi_size, count]);
        out.extend_from_slice(&self.spi);
        let n = self.transforms.len();
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(i + 1 == n, out)?;
        }
        let len = out.len() - start;
        patch_u16(out, start + 2, len)
    }
}

/// SPI sizes allowed per protocol (RFC 7296 §3.3.1): IKE 0 (initial) or 8 (rekey), AH/ESP 4.
/// Other protocols are left alone so an unknown proposal can still be skipped.
fn check_spi_size(protocol: ProtocolId, size: usize) -> Result<(), WireError> {
    let ok = match protocol {
        ProtocolId::Ike => size == 0 || size == 8,
        ProtocolId::Ah | ProtocolId::Esp => size == 4,
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(WireError::Malformed("SPI size invalid for protocol"))
    }
}

/// Proposal numbering (RFC 7296 §3.3.1): an offer numbers its proposals 1, 2, 3, ...; an
/// answer carries a single proposal with the number of the chosen offer, which can be anything
/// but 0. The wire layer cannot tell offers from answers, so a lone proposal only has to be
/// non-zero; the protocol layer checks that an answer's number was offered.
fn check_numbering(proposals: &[Proposal]) -> Result<(), WireError> {
    match proposals {
        [] => Err(WireError::Malformed("SA payload without proposals")),
        [only] if only.number == 0 => Err(WireError::Malformed("proposal number 0")),
        [_] => Ok(()),
        many => {
            for (i, p) in many.iter().enumerate() {
                if usize::from(p.number) != i + 1 {
                    return Err(WireError::Malformed("proposal numbers not 1, 2, 3, ..."));
                }
            }
            Ok(())
        }
    }
}

impl SaPayload {
    /// Parse the SA payload body (after the generic header).
    pub fn parse_body(body: &[u8]) -> Result<SaPayload, WireError> {
        let mut r = Reader::new(body);
        let mut proposals = Vec::new();
        loop {
            if r.is_empty() {
                // Either an empty SA payload or "more follow" with nothing after it.
                return Err(if proposals.is_empty() {
                    WireError::Malformed("SA payload without proposals")
                } else {
                    WireError::CountMismatch
                });
            }
            let last = r.u8()?;
            let _reserved = r.u8()?;
            let len = usize::from(r.u16()?);
            if len < 8 {
                return Err(WireError::Malformed("proposal length below 8"));
            }
            proposals.push(Proposal::parse(r.take(len - 4)?)?);
            match last {
                0 => break,
                PROPOSAL_MORE => continue,
                _ => return Err(WireError::Malformed("invalid proposal last-substruc")),
            }
        }
        r.finish()?;
        check_numbering(&proposals)?;
        Ok(SaPayload { proposals })
    }

    /// Append the SA payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        check_numbering(&self.proposals)?;
        let n = self.proposals.len();
        for (i, p) in self.proposals.iter().enumerate() {
            p.emit(i + 1 == n, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// Two IKE proposals: AES-CBC-256/SHA2-256/SHA2-256-128/group 14, and AES-GCM-16-128 /
    /// SHA2-384 / group 19 (no INTEG, as RFC 5282 §8 recommends).
    const SA_BODY: [u8; 88] = hex!(
        "02 00 002c 01 01 00 04"
        "03 00 000c 01 00 000c 800e 0100"
        "03 00 0008 02 00 0005"
        "03 00 0008 03 00 000c"
        "00 00 0008 04 00 000e"
        "00 00 002c 02 01 00 04"
        "03 00 000c 01 00 0014 800e 0080"
        "03 00 0008 02 00 0006"
        "03 00 0008 04 00 0013"
        "00 00 0008 04 00 000e"
    );

    pub(crate) fn two_proposals() -> SaPayload {
        SaPayload {
            proposals: vec![
                Proposal {
                    number: 1,
                    protocol: ProtocolId::Ike,
                    spi: vec![],
                    transforms: vec![
                        Transform::encr(EncrId::AesCbc, Some(256)),
                        Transform::prf(PrfId::HmacSha2_256),
                        Transform::integ(IntegId::HmacSha2_256_128),
                        Transform::dh(DhGroup::Modp2048),
                    ],
                },
                Proposal {
                    number: 2,
                    protocol: ProtocolId::Ike,
                    spi: vec![],
                    transforms: vec![
                        Transform::encr(EncrId::AesGcm16, Some(128)),
                        Transform::prf(PrfId::HmacSha2_384),
                        Transform::dh(DhGroup::Ecp256),
                        Transform::dh(DhGroup::Modp2048),
                    ],
                },
            ],
        }
    }

    #[test]
    fn parse_emit_two_proposals() {
        let sa = SaPayload::parse_body(&SA_BODY).unwrap();
        assert_eq!(sa, two_proposals());
        assert_eq!(sa.proposals[0].transforms[0].key_length(), Some(256));
        assert_eq!(sa.proposals[0].transforms[1].key_length(), None);
        assert_eq!(sa.proposals[1].transforms_of(TransformType::Dh).count(), 2);
        let mut out = Vec::new();
        sa.emit_body(&mut out).unwrap();
        assert_eq!(out, SA_BODY);
    }

    #[test]
    fn every_truncation_rejected() {
        for n in 0..SA_BODY.len() {
            assert!(SaPayload::parse_body(&SA_BODY[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn esp_proposal_with_spi_and_tlv_attribute() {
        let body = hex!(
            "00 00 0026 01 03 04 02 11223344"
            "03 00 0012 01 00 000c 800e 0080 0011 0002 abcd"
            "00 00 0008 05 00 0000"
        );
        let sa = SaPayload::parse_body(&body).unwrap();
        let p = &sa.proposals[0];
        assert_eq!(p.protocol, ProtocolId::Esp);
        assert_eq!(p.spi, hex!("11223344"));
        assert_eq!(
            p.transforms[0].attributes[1],
            TransformAttribute::Tlv {
                attr_type: 0x11,
                value: vec![0xab, 0xcd]
            }
        );
        let mut out = Vec::new();
        sa.emit_body(&mut out).unwrap();
        assert_eq!(out, body);
    }

    #[test]
    fn structural_errors() {
        let mut b = SA_BODY;
        // Transform count says 5 but only 4 transforms are present.
        b[7] = 5;
        assert_eq!(SaPayload::parse_body(&b), Err(WireError::CountMismatch));
        // Count says 3: the third transform is marked "more".
        b[7] = 3;
        assert_eq!(SaPayload::parse_body(&b), Err(WireError::CountMismatch));
        // Proposal numbering 1, 3.
        let mut b = SA_BODY;
        b[48] = 3;
        assert!(matches!(
            SaPayload::parse_body(&b),
            Err(WireError::Malformed(_))
        ));
        // Last proposal claims "more follow".
        let mut b = SA_BODY;
        b[44] = 2;
        assert_eq!(SaPayload::parse_body(&b), Err(WireError::CountMismatch));
        // Bad last-substruc value.
        let mut b = SA_BODY;
        b[0] = 1;
        assert!(matches!(
            SaPayload::parse_body(&b),
            Err(WireError::Malformed(_))
        ));
        // IKE proposal with a 4-octet SPI.
        let body = hex!("00 00 0014 01 01 04 01 00000000 00 00 0008 01 00 000c");
        assert!(matches!(
            SaPayload::parse_body(&body),
            Err(WireError::Malformed(_))
        ));
        // Trailing bytes after the last proposal.
        let mut v = SA_BODY.to_vec();
        v.push(0);
        assert_eq!(SaPayload::parse_body(&v), Err(WireError::TrailingData));
        // Transform length too short.
        let mut b = SA_BODY;
        b[11] = 4;
        assert!(SaPayload::parse_body(&b).is_err());
        // Key Length as TLV.
        let body = hex!("00 00 0016 01 01 00 01 00 00 000e 01 00 000c 000e 0002 0100");
        assert!(matches!(
            SaPayload::parse_body(&body),
            Err(WireError::Malformed(_))
        ));
        // Empty SA.
        assert!(matches!(
            SaPayload::parse_body(&[]),
            Err(WireError::Malformed(_))
        ));
    }
}
