//! Emit of a parsed message is canonical: parse → emit → parse → emit gives identical bytes
//! on the second round, and the second parse equals the first.
//!
//! The first emit may differ from the input (reserved bits and the C bit of known payloads
//! are not kept, RFC 7296 §3.2), but from then on the encoding must be a fixed point;
//! otherwise retransmission matching and AUTH's signed octets over our own messages would
//! drift.
//!
//! Input: one IKE datagram.

#![no_main]

use ike_wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(first) = Message::parse(data) else {
        return;
    };
    let e1 = first.try_emit().expect("a parsed message must re-encode");
    let second = Message::parse(&e1).expect("an emitted message must parse");
    let e2 = second
        .try_emit()
        .expect("a re-parsed message must re-encode");
    assert_eq!(e1, e2, "emit is not a fixed point");
    assert_eq!(second.payloads, first.payloads);
    assert_eq!(second.header.next_payload, first.header.next_payload);
    // Only the length may change in the first round, and only if the input was
    // non-canonical in a way that changes size.
    assert_eq!(e1.len(), second.header.length as usize);
});
