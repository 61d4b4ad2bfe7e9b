//! The fixed IKE header (RFC 7296 §3.1).

use crate::codepoints::{ExchangeType, PayloadType};
use crate::error::WireError;
use crate::reader::Reader;

/// Length of the IKE header in octets.
pub const IKE_HEADER_LEN: usize = 28;

/// Field offsets inside the header (smoltcp's `mod field`).
mod field {
    use core::ops::Range;
    pub(super) const SPI_I: Range<usize> = 0..8;
    pub(super) const SPI_R: Range<usize> = 8..16;
    pub(super) const NEXT_PAYLOAD: usize = 16;
    pub(super) const VERSION: usize = 17;
    pub(super) const EXCHANGE_TYPE: usize = 18;
    pub(super) const FLAGS: usize = 19;
    pub(super) const MESSAGE_ID: Range<usize> = 20..24;
    pub(super) const LENGTH: Range<usize> = 24..28;
}

/// The header flags octet `|X|X|R|V|I|X|X|X|`.
///
/// Kept as the raw octet so unknown (X) bits survive a parse → emit; RFC 7296 says to send them
/// as 0 and ignore them on receipt, which is the caller's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// R: set in every response.
    pub const RESPONSE: u8 = 0x20;
    /// V: "higher version supported"; IKEv2 sends 0 and ignores it.
    pub const VERSION: u8 = 0x10;
    /// I: set by the original initiator of the IKE SA (moves with an IKE rekey).
    pub const INITIATOR: u8 = 0x08;

    /// Build flags with just the I and R bits.
    pub fn new(initiator: bool, response: bool) -> Flags {
        let mut v = 0;
        if initiator {
            v |= Self::INITIATOR;
        }
        if response {
            v |= Self::RESPONSE;
        }
        Flags(v)
    }

    /// Whether the R (response) bit is set.
    pub fn is_response(&self) -> bool {
        self.0 & Self::RESPONSE != 0
    }

    /// Whether the I (original initiator) bit is set.
    pub fn is_initiator(&self) -> bool {
        self.0 & Self::INITIATOR != 0
    }
}

/// The IKE header (RFC 7296 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeHeader {
    /// IKE SA Initiator's SPI.
    pub spi_i: [u8; 8],
    /// IKE SA Responder's SPI (zero in the first message of an initial exchange).
    pub spi_r: [u8; 8],
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// Major version, 4 bits; always 2 after a successful parse.
    pub major_version: u8,
    /// Minor version, 4 bits; ignored on receipt (RFC 7296 §2.5).
    pub minor_version: u8,
    /// Exchange type.
    pub exchange_type: ExchangeType,
    /// Flags octet.
    pub flags: Flags,
    /// Message ID.
    pub message_id: u32,
    /// Length of the whole message, header included.
    pub length: u32,
}

impl IkeHeader {
    /// A version 2.0 header; `next_payload` and `length` are filled in by
    /// [`crate::Message::emit`].
    pub fn new(
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        exchange_type: ExchangeType,
        flags: Flags,
        message_id: u32,
    ) -> IkeHeader {
        IkeHeader {
            spi_i,
            spi_r,
            next_payload: PayloadType::NoNext,
            major_version: 2,
            minor_version: 0,
            exchange_type,
            flags,
            message_id,
            length: 0,
        }
    }

    /// Parse the first 28 octets of `buf`.
    ///
    /// Checks only what the header itself can tell: enough bytes, and major version 2
    /// (anything else is [`WireError::InvalidMajorVersion`], to which a responder SHOULD answer
    /// `INVALID_MAJOR_VERSION`, RFC 7296 §2.5). [`crate::Message::parse`] checks `length`.
    pub fn parse(buf: &[u8]) -> Result<IkeHeader, WireError> {
        let mut r = Reader::new(buf);
        let spi_i = r.array::<8>()?;
        let spi_r = r.array::<8>()?;
        let next_payload = PayloadType::from(r.u8()?);
        let version = r.u8()?;
        let exchange_type = ExchangeType::from(r.u8()?);
        let flags = Flags(r.u8()?);
        let message_id = r.u32()?;
        let length = r.u32()?;
        let major_version = version >> 4;
        if major_version != 2 {
            return Err(WireError::InvalidMajorVersion(major_version));
        }
        Ok(IkeHeader {
            spi_i,
            spi_r,
            next_payload,
            major_version,
            minor_version: version & 0x0f,
            exchange_type,
            flags,
            message_id,
            length,
        })
    }

    /// Write the 28 header octets into `out[..28]`, with the fields exactly as stored.
    ///
    /// # Panics
    /// If `out` is shorter than [`IKE_HEADER_LEN`]; that is a caller bug, not bad input.
    pub fn emit(&self, out: &mut [u8]) {
        out[field::SPI_I].copy_from_slice(&self.spi_i);
        out[field::SPI_R].copy_from_slice(&self.spi_r);
        out[field::NEXT_PAYLOAD] = self.next_payload.into();
        out[field::VERSION] = (self.major_version << 4) | (self.minor_version & 0x0f);
        out[field::EXCHANGE_TYPE] = self.exchange_type.into();
        out[field::FLAGS] = self.flags.0;
        out[field::MESSAGE_ID].copy_from_slice(&self.message_id.to_be_bytes());
        out[field::LENGTH].copy_from_slice(&self.length.to_be_bytes());
    }

    /// The header as an array (convenience over [`IkeHeader::emit`]).
    pub fn to_bytes(&self) -> [u8; IKE_HEADER_LEN] {
        let mut out = [0u8; IKE_HEADER_LEN];
        self.emit(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // RFC 7634 Appendix B: INFORMATIONAL request, MID 9, length 69, first payload SK.
    const HDR: [u8; 28] = hex!("c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045");

    fn expected() -> IkeHeader {
        IkeHeader {
            spi_i: hex!("c0c1c2c3c4c5c6c7"),
            spi_r: hex!("d0d1d2d3d4d5d6d7"),
            next_payload: PayloadType::Encrypted,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::Informational,
            flags: Flags(0),
            message_id: 9,
            length: 69,
        }
    }

    #[test]
    fn parse_and_emit() {
        let h = IkeHeader::parse(&HDR).unwrap();
        assert_eq!(h, expected());
        assert_eq!(h.to_bytes(), HDR);
        let mut buf = [0xffu8; 40];
        h.emit(&mut buf);
        assert_eq!(&buf[..28], &HDR);
        assert_eq!(&buf[28..], &[0xff; 12]);
    }

    #[test]
    fn truncations() {
        for n in 0..HDR.len() {
            assert_eq!(
                IkeHeader::parse(&HDR[..n]),
                Err(WireError::Truncated),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn bad_major_version() {
        let mut b = HDR;
        b[17] = 0x30;
        assert_eq!(IkeHeader::parse(&b), Err(WireError::InvalidMajorVersion(3)));
        b[17] = 0x10;
        assert_eq!(IkeHeader::parse(&b), Err(WireError::InvalidMajorVersion(1)));
        // Minor version is ignored but kept.
        b[17] = 0x21;
        assert_eq!(IkeHeader::parse(&b).unwrap().minor_version, 1);
    }

    #[test]
    fn flags() {
        let f = Flags::new(true, false);
        assert_eq!(f.0, 0x08);
        assert!(f.is_initiator() && !f.is_response());
        let f = Flags::new(false, true);
        assert_eq!(f.0, 0x20);
        assert!(!f.is_initiator() && f.is_response());
    }
}
