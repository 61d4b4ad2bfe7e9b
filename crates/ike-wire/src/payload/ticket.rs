//! RFC 5723 ticket notifies (§7): TICKET_LT_OPAQUE, TICKET_OPAQUE and the data-less ones.
//!
//! All five carry Protocol ID 0 and SPI size 0 (RFC 5723 §7).

use crate::codepoints::NotifyType;
use crate::error::WireError;
use crate::payload::notify::NotifyPayload;
use crate::reader::Reader;

/// TICKET_LT_OPAQUE data (RFC 5723 §7.1): `Lifetime(4) | Ticket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLtOpaque {
    /// Relative seconds until the ticket expires.
    pub lifetime: u32,
    /// The opaque ticket, never empty.
    pub ticket: Vec<u8>,
}

impl TicketLtOpaque {
    /// Parse the notification data; the ticket must be non-empty.
    pub fn parse(data: &[u8]) -> Result<TicketLtOpaque, WireError> {
        let mut r = Reader::new(data);
        let lifetime = r.u32()?;
        let ticket = r.rest();
        if ticket.is_empty() {
            return Err(WireError::Malformed("empty ticket"));
        }
        Ok(TicketLtOpaque {
            lifetime,
            ticket: ticket.to_vec(),
        })
    }

    /// The notification data.
    pub fn to_data(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.ticket.len());
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.ticket);
        out
    }
}

impl NotifyPayload {
    /// TICKET_LT_OPAQUE, sent by the gateway (RFC 5723 §7.1).
    pub fn ticket_lt_opaque(lifetime: u32, ticket: Vec<u8>) -> NotifyPayload {
        let data = TicketLtOpaque { lifetime, ticket }.to_data();
        NotifyPayload::new(NotifyType::TicketLtOpaque, data)
    }

    /// TICKET_OPAQUE, sent by the client in IKE_SESSION_RESUME (RFC 5723 §7.2).
    pub fn ticket_opaque(ticket: Vec<u8>) -> NotifyPayload {
        NotifyPayload::new(NotifyType::TicketOpaque, ticket)
    }

    /// The ticket of a TICKET_OPAQUE notify (must be non-empty).
    pub fn opaque_ticket(&self) -> Result<&[u8], WireError> {
        if self.data.is_empty() {
            return Err(WireError::Malformed("empty ticket"));
        }
        Ok(&self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProtocolId;
    use crate::payload::Payload;
    use crate::payload::test_util::check_payload;
    use hex_literal::hex;

    #[test]
    fn ticket_lt_opaque_layout() {
        // Payload length 12 + ticket length (RFC 5723 §7.1 Figure 6).
        let full = hex!("00 00 0011 00 00 4019 00000e10 0102030405");
        let n = NotifyPayload::ticket_lt_opaque(3600, hex!("0102030405").to_vec());
        assert_eq!(n.protocol, ProtocolId::None);
        check_payload(&full, Payload::Notify(n.clone()));
        let t = TicketLtOpaque::parse(&n.data).unwrap();
        assert_eq!(
            t,
            TicketLtOpaque {
                lifetime: 3600,
                ticket: hex!("0102030405").to_vec()
            }
        );
        assert_eq!(t.to_data(), n.data);
        for k in 0..=4 {
            assert!(TicketLtOpaque::parse(&n.data[..k]).is_err(), "prefix {k}");
        }
    }

    #[test]
    fn ticket_opaque_and_status() {
        // Payload length 8 + ticket length (RFC 5723 §7.2 Figure 7).
        let full = hex!("00 00 000b 00 00 401d aabbcc");
        let n = NotifyPayload::ticket_opaque(hex!("aabbcc").to_vec());
        check_payload(&full, Payload::Notify(n.clone()));
        assert_eq!(n.opaque_ticket().unwrap(), &hex!("aabbcc"));
        assert!(
            NotifyPayload::ticket_opaque(vec![])
                .opaque_ticket()
                .is_err()
        );
        for (t, v) in [
            (NotifyType::TicketRequest, 0x401a),
            (NotifyType::TicketAck, 0x401b),
            (NotifyType::TicketNack, 0x401c),
        ] {
            let mut full = hex!("00 00 0008 00 00 0000");
            full[6..8].copy_from_slice(&u16::to_be_bytes(v));
            check_payload(&full, Payload::Notify(NotifyPayload::status(t)));
        }
    }
}
