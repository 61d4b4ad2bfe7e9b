//! Routing datagrams to shards: a driver may run several [`crate::Endpoint`]s, one per core, each
//! owning the SAs whose SPI (ours) names it (see [`crate::config::Shard`]). Routing needs no
//! shared state and no decryption:
//!
//! - a first message (IKE_SA_INIT / IKE_SESSION_RESUME request, SPIr = 0) goes by a hash of the
//!   initiator's SPI and address, so its retransmissions reach the same shard; an
//!   IKE_SESSION_RESUME goes by a hash of its ticket instead, so a replayed ticket meets the
//!   used-ticket log that saw it first (RFC 5723 §4.3.1);
//! - everything else goes by our SPI: SPIr when the sender is the original initiator, else SPIi.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;

use ike_wire::{ExchangeType, IkeHeader, Message, NotifyType};

use crate::config::Shard;
use crate::transmit::{Datagram, classify};

/// The shard (`< shards`) that must handle this received UDP payload.
pub fn route(payload: &[u8], remote: SocketAddr, shards: u8) -> u8 {
    let shards = shards.max(1);
    if shards == 1 {
        return 0;
    }
    let Datagram::Ike(bytes) = classify(payload) else {
        return 0;
    };
    let Ok(h) = IkeHeader::parse(bytes) else {
        return 0;
    };
    if h.spi_r == [0; 8] && !h.flags.is_response() {
        let mut hasher = DefaultHasher::new();
        let ticket = (h.exchange_type == ExchangeType::IkeSessionResume)
            .then(|| Message::parse(bytes).ok())
            .flatten()
            .and_then(|m| {
                m.find_notify(NotifyType::TicketOpaque)
                    .map(|n| n.data.clone())
            });
        match ticket {
            Some(t) => t.hash(&mut hasher),
            None => (h.spi_i, remote).hash(&mut hasher),
        }
        return (hasher.finish() % u64::from(shards)) as u8;
    }
    let ours = if h.flags.is_initiator() {
        h.spi_r
    } else {
        h.spi_i
    };
    Shard::of_spi(&ours, shards)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_wire::{Flags, NoncePayload, NotifyPayload, Payload};

    fn msg(
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        x: ExchangeType,
        flags: Flags,
        payloads: Vec<Payload>,
    ) -> Vec<u8> {
        let mut header = IkeHeader::new(spi_i, spi_r, x, flags, 0);
        header.next_payload = payloads
            .first()
            .map(Payload::payload_type)
            .unwrap_or(ike_wire::PayloadType::NoNext);
        Message { header, payloads }.emit()
    }

    #[test]
    fn first_messages_by_initiator_or_ticket_later_ones_by_our_spi() {
        let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:500".parse().unwrap();
        let nonce = Payload::Nonce(NoncePayload { data: vec![7; 32] });
        let init = msg(
            [1; 8],
            [0; 8],
            ExchangeType::IkeSaInit,
            Flags::new(true, false),
            vec![nonce.clone()],
        );
        assert_eq!(
            route(&init, a, 4),
            route(&init, a, 4),
            "retransmissions stay put"
        );
        let resume = |spi: u8| {
            let t = Payload::Notify(NotifyPayload::ticket_opaque(vec![9; 100]));
            msg(
                [spi; 8],
                [0; 8],
                ExchangeType::IkeSessionResume,
                Flags::new(true, false),
                vec![nonce.clone(), t],
            )
        };
        // The same ticket from another SPI and address: same shard (the replay check sees it).
        let shards: Vec<u8> = (1..20)
            .map(|s| route(&resume(s), if s % 2 == 0 { a } else { b }, 4))
            .collect();
        assert!(shards.windows(2).all(|w| w[0] == w[1]), "{shards:?}");
        // Later messages: by our SPI.
        let to_responder = msg(
            [1; 8],
            [6; 8],
            ExchangeType::IkeAuth,
            Flags::new(true, false),
            vec![],
        );
        assert_eq!(route(&to_responder, a, 4), 6 % 4);
        let to_initiator = msg(
            [5; 8],
            [6; 8],
            ExchangeType::IkeAuth,
            Flags::new(false, true),
            vec![],
        );
        assert_eq!(route(&to_initiator, a, 4), 5 % 4);
        assert_eq!(route(b"\xff", a, 4), 0);
        assert_eq!(route(&init, a, 1), 0);
    }

    #[test]
    fn tagged_spis_name_their_shard() {
        for count in 1..=8u8 {
            for index in 0..count {
                for b in [0u8, 1, 17, 200, 250, 254, 255] {
                    let t = Shard { index, count }.tag(b);
                    assert_eq!(t % count, index, "count {count} index {index} b {b}");
                }
            }
        }
    }
}
