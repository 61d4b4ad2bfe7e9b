//! `TicketKeyRing::open` and `ResumptionState::decode` on arbitrary bytes, with the fixed ring of
//! [`tessera_fuzz::responder::ticket_ring`] (the one the `endpoint_responder` fixture seals with).
//!
//! Input: `mode(1) ‖ bytes`.
//! - mode 0: `open(bytes)`; a ticket that opens decodes (or is refused) without panicking, and
//!   what opens must have been sealed by this ring, i.e. carry its key id and version.
//! - mode 1: `ResumptionState::decode(bytes)`; whatever decodes re-encodes to a canonical form
//!   that decodes to the same encoding (a fixed point after one round).
//! - mode 2: `seal(bytes)` then `open`: gives the same bytes back whenever sealing succeeds, and
//!   sealing refuses exactly the plaintexts that would exceed `MAX_TICKET_LEN`.
//!
//! Seeds: the ticket a real client received from the fixture gateway, and its plaintext.

#![no_main]

use ike_proto::ticket::{MAX_TICKET_LEN, ResumptionState, TICKET_OVERHEAD};
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tessera_fuzz::responder::{UNIX, ticket_ring};

fn decode_roundtrip(plain: &[u8]) {
    if let Ok(state) = ResumptionState::decode(plain) {
        assert!(
            state.expires_at >= state.issued_at,
            "expiry before issue accepted"
        );
        let once = state.encode();
        let again = ResumptionState::decode(once.expose()).expect("an encoding decodes");
        assert_eq!(
            again.encode().expose(),
            once.expose(),
            "encode is not a fixed point"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let ring = ticket_ring();
    match mode % 3 {
        0 => {
            // Probe both sides of the previous key's grace period and a far future.
            for unix in [UNIX, UNIX + 86_400 * 3] {
                if let Some(plain) = ring.open(bytes, unix) {
                    assert!(bytes.len() >= TICKET_OVERHEAD && bytes.len() <= MAX_TICKET_LEN);
                    assert_eq!(bytes[0], 1, "ticket version");
                    assert_eq!(
                        bytes[4..12],
                        ring.current_key_id(),
                        "opened under another key id"
                    );
                    assert_eq!(plain.len(), bytes.len() - TICKET_OVERHEAD);
                    decode_roundtrip(plain.expose());
                }
            }
        }
        1 => decode_roundtrip(bytes),
        _ => {
            let mut rng = ChaCha20Rng::seed_from_u64(u64::from(mode));
            match ring.seal(bytes, &mut rng) {
                Ok(ticket) => {
                    assert_eq!(ticket.len(), bytes.len() + TICKET_OVERHEAD);
                    let plain = ring.open(&ticket, UNIX).expect("a sealed ticket opens");
                    assert_eq!(plain.expose(), bytes);
                    // One flipped bit anywhere is refused (header bound as AAD, tag checked).
                    let i = usize::from(mode) % ticket.len();
                    let mut bad = ticket.clone();
                    bad[i] ^= 0x80;
                    if i >= 4 || i == 0 {
                        assert!(ring.open(&bad, UNIX).is_none(), "bit flip at {i} accepted");
                    }
                    decode_roundtrip(plain.expose());
                }
                Err(_) => assert!(bytes.len() + TICKET_OVERHEAD > MAX_TICKET_LEN),
            }
        }
    }
});
