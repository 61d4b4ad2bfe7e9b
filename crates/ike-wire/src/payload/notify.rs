//! Notify payload (RFC 7296 §3.10) and data helpers for the notifies whose data we read.

use crate::codepoints::{DhGroup, NotifyType, ProtocolId};
use crate::error::WireError;
use crate::reader::Reader;

/// Notify payload body:
/// `Protocol ID(1) | SPI Size(1) | Notify Message Type(2) | SPI | Notification Data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPayload {
    /// Protocol the SPI belongs to; [`ProtocolId::None`] (0) when there is no SPI.
    pub protocol: ProtocolId,
    /// SPI; its length is the SPI Size field (at most 255).
    pub spi: Vec<u8>,
    /// Notify message type.
    pub notify_type: NotifyType,
    /// Notification data.
    pub data: Vec<u8>,
}

impl NotifyPayload {
    /// A notify without SPI (protocol 0, SPI size 0), as nearly all IKE SA notifies are.
    pub fn new(notify_type: NotifyType, data: Vec<u8>) -> NotifyPayload {
        NotifyPayload {
            protocol: ProtocolId::None,
            spi: Vec::new(),
            notify_type,
            data,
        }
    }

    /// A data-less notify without SPI (TICKET_REQUEST, INITIAL_CONTACT, ...).
    pub fn status(notify_type: NotifyType) -> NotifyPayload {
        NotifyPayload::new(notify_type, Vec::new())
    }

    /// A notify about a Child SA or IKE SA SPI (REKEY_SA, CHILD_SA_NOT_FOUND, ...).
    pub fn with_spi(
        protocol: ProtocolId,
        spi: Vec<u8>,
        notify_type: NotifyType,
        data: Vec<u8>,
    ) -> NotifyPayload {
        NotifyPayload {
            protocol,
            spi,
            notify_type,
            data,
        }
    }

    /// The error notify for a parse failure (see [`WireError::notify_type`]), with the
    /// offending payload type as data for UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 §3.10.1).
    pub fn for_wire_error(err: &WireError) -> NotifyPayload {
        NotifyPayload::new(err.notify_type(), err.notify_data().unwrap_or_default())
    }

    /// INVALID_KE_PAYLOAD carrying the group the responder wants (RFC 7296 §1.3).
    pub fn invalid_ke_payload(group: DhGroup) -> NotifyPayload {
        NotifyPayload::new(
            NotifyType::InvalidKePayload,
            u16::from(group).to_be_bytes().to_vec(),
        )
    }

    /// The group of an INVALID_KE_PAYLOAD notify's data (exactly 2 octets).
    pub fn invalid_ke_group(&self) -> Result<DhGroup, WireError> {
        let mut r = Reader::new(&self.data);
        let g = r.u16()?;
        r.finish()?;
        Ok(DhGroup::from(g))
    }

    /// SET_WINDOW_SIZE carrying the window (RFC 7296 §2.3).
    pub fn set_window_size(window: u32) -> NotifyPayload {
        NotifyPayload::new(NotifyType::SetWindowSize, window.to_be_bytes().to_vec())
    }

    /// The window of a SET_WINDOW_SIZE notify's data (exactly 4 octets).
    pub fn window_size(&self) -> Result<u32, WireError> {
        let mut r = Reader::new(&self.data);
        let w = r.u32()?;
        r.finish()?;
        Ok(w)
    }

    /// SIGNATURE_HASH_ALGORITHMS with the given 2-octet hash identifiers (RFC 7427 §4).
    pub fn signature_hash_algorithms(hashes: &[u16]) -> NotifyPayload {
        let data = hashes.iter().flat_map(|h| h.to_be_bytes()).collect();
        NotifyPayload::new(NotifyType::SignatureHashAlgorithms, data)
    }

    /// The hash identifiers of a SIGNATURE_HASH_ALGORITHMS notify (even length required).
    pub fn hash_algorithms(&self) -> Result<Vec<u16>, WireError> {
        if self.data.len() % 2 != 0 {
            return Err(WireError::Malformed("odd-length hash algorithm list"));
        }
        Ok(self
            .data
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect())
    }

    /// Parse the Notify payload body.
    pub fn parse_body(body: &[u8]) -> Result<NotifyPayload, WireError> {
        let mut r = Reader::new(body);
        let protocol = ProtocolId::from(r.u8()?);
        let spi_size = r.u8()?;
        let notify_type = NotifyType::from(r.u16()?);
        let spi = r.take(usize::from(spi_size))?.to_vec();
        Ok(NotifyPayload {
            protocol,
            spi,
            notify_type,
            data: r.rest().to_vec(),
        })
    }

    /// Append the Notify payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let spi_size = u8::try_from(self.spi.len()).map_err(|_| WireError::TooLong)?;
        out.extend_from_slice(&[self.protocol.into(), spi_size]);
        out.extend_from_slice(&u16::from(self.notify_type).to_be_bytes());
        out.extend_from_slice(&self.spi);
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
    fn set_window_size_rfc7634() {
        // RFC 7634 Appendix B, the plaintext Notify payload.
        let full = hex!("00 00 000c 00 00 4001 0000000a");
        let n = NotifyPayload::set_window_size(10);
        check_payload(&full, Payload::Notify(n.clone()));
        assert_eq!(n.window_size(), Ok(10));
        for n in 0..4 {
            assert_eq!(
                NotifyPayload::parse_body(&full[4..4 + n]),
                Err(WireError::Truncated)
            );
        }
    }

    #[test]
    fn rekey_sa_with_esp_spi() {
        let full = hex!("00 00 000c 03 04 4009 deadbeef");
        let n = NotifyPayload::with_spi(
            ProtocolId::Esp,
            hex!("deadbeef").to_vec(),
            NotifyType::RekeySa,
            vec![],
        );
        check_payload(&full, Payload::Notify(n));
        // SPI size larger than the body.
        assert_eq!(
            NotifyPayload::parse_body(&hex!("03 08 4009 deadbeef")),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn invalid_ke_and_hashes() {
        let n = NotifyPayload::invalid_ke_payload(DhGroup::Ecp256);
        assert_eq!(n.data, hex!("0013"));
        assert_eq!(n.invalid_ke_group(), Ok(DhGroup::Ecp256));
        let bad = NotifyPayload::new(NotifyType::InvalidKePayload, vec![0, 19, 0]);
        assert_eq!(bad.invalid_ke_group(), Err(WireError::TrailingData));
        let h = NotifyPayload::signature_hash_algorithms(&[2, 3, 4]);
        assert_eq!(h.data, hex!("000200030004"));
        assert_eq!(h.hash_algorithms(), Ok(vec![2, 3, 4]));
        let e = NotifyPayload::for_wire_error(&WireError::UnsupportedCriticalPayload(99));
        assert_eq!(
            (e.notify_type, e.data),
            (NotifyType::UnsupportedCriticalPayload, vec![99])
        );
        let e = NotifyPayload::for_wire_error(&WireError::Truncated);
        assert_eq!((e.notify_type, e.data), (NotifyType::InvalidSyntax, vec![]));
    }
}
