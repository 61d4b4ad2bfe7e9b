//! Delete payload (RFC 7296 §3.11).

use crate::codepoints::ProtocolId;
use crate::error::WireError;
use crate::reader::Reader;

/// Delete payload body: `Protocol ID(1) | SPI Size(1) | Num of SPIs(2) | SPIs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePayload {
    /// Protocol: IKE (SPI size 0, no SPIs: the SA is the one the message belongs to), AH/ESP
    /// (SPI size 4).
    pub protocol: ProtocolId,
    /// SPI Size; every entry of `spis` has this length.
    pub spi_size: u8,
    /// SPIs to delete.
    pub spis: Vec<Vec<u8>>,
}

impl DeletePayload {
    /// Delete the IKE SA the message is sent on.
    pub fn ike() -> DeletePayload {
        DeletePayload {
            protocol: ProtocolId::Ike,
            spi_size: 0,
            spis: Vec::new(),
        }
    }

    /// Delete ESP SAs by their (inbound, from the sender's view) 4-octet SPIs.
    pub fn esp(spis: &[[u8; 4]]) -> DeletePayload {
        DeletePayload {
            protocol: ProtocolId::Esp,
            spi_size: 4,
            spis: spis.iter().map(|s| s.to_vec()).collect(),
        }
    }

    /// SPI size rules (RFC 7296 §3.11). With size 0 the count must be 0 too: a count of
    /// zero-length SPIs would make us allocate from a 2-octet field, not from input bytes.
    fn check(protocol: ProtocolId, spi_size: u8, count: usize) -> Result<(), WireError> {
        let ok = match protocol {
            ProtocolId::Ike => spi_size == 0,
            ProtocolId::Ah | ProtocolId::Esp => spi_size == 4,
            _ => true,
        };
        if !ok {
            return Err(WireError::Malformed("SPI size invalid for protocol"));
        }
        if spi_size == 0 && count != 0 {
            return Err(WireError::CountMismatch);
        }
        Ok(())
    }

    /// Parse the Delete payload body.
    pub fn parse_body(body: &[u8]) -> Result<DeletePayload, WireError> {
        let mut r = Reader::new(body);
        let protocol = ProtocolId::from(r.u8()?);
        let spi_size = r.u8()?;
        let count = usize::from(r.u16()?);
        Self::check(protocol, spi_size, count)?;
        let mut spis = Vec::new();
        for _ in 0..count {
            spis.push(r.take(usize::from(spi_size))?.to_vec());
        }
        r.finish()?;
        Ok(DeletePayload {
            protocol,
            spi_size,
            spis,
        })
    }

    /// Append the Delete payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Self::check(self.protocol, self.spi_size, self.spis.len())?;
        let count = u16::try_from(self.spis.len()).map_err(|_| WireError::TooLong)?;
        if self
            .spis
            .iter()
            .any(|s| s.len() != usize::from(self.spi_size))
        {
            return Err(WireError::Malformed("SPI length differs from SPI size"));
        }
        out.extend_from_slice(&[self.protocol.into(), self.spi_size]);
        out.extend_from_slice(&count.to_be_bytes());
        for s in &self.spis {
            out.extend_from_slice(s);
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
    fn delete_ike() {
        check_payload(
            &hex!("00 00 0008 01 00 0000"),
            Payload::Delete(DeletePayload::ike()),
        );
    }

    #[test]
    fn delete_two_esp() {
        let full = hex!("00 00 0010 03 04 0002 c1c2c3c4 d1d2d3d4");
        let d = DeletePayload::esp(&[hex!("c1c2c3c4"), hex!("d1d2d3d4")]);
        check_payload(&full, Payload::Delete(d));
        // Count says 3, only two present.
        assert_eq!(
            DeletePayload::parse_body(&hex!("03 04 0003 c1c2c3c4 d1d2d3d4")),
            Err(WireError::Truncated)
        );
        // Count says 1, two present.
        assert_eq!(
            DeletePayload::parse_body(&hex!("03 04 0001 c1c2c3c4 d1d2d3d4")),
            Err(WireError::TrailingData)
        );
        // ESP with 8-octet SPIs.
        assert!(DeletePayload::parse_body(&hex!("03 08 0001 c1c2c3c4d1d2d3d4")).is_err());
        // Size 0 with a huge count: rejected before any allocation.
        assert_eq!(
            DeletePayload::parse_body(&hex!("01 00 ffff")),
            Err(WireError::CountMismatch)
        );
    }
}
