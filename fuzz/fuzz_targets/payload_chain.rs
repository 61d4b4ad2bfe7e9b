//! `parse_payload_chain` on arbitrary bytes: the decrypted-content path, which sees whatever
//! a peer holding the SK keys chose to encrypt.
//!
//! Never panics; a parsed chain re-encodes with the same first type, parses back equal, and
//! its encoding is a fixed point. The notify-data decoders the protocol layer applies to
//! inner notifies (window size, INVALID_KE group, hash algorithms, RFC 5723 tickets) run on
//! every Notify found, and must round-trip where they succeed.
//!
//! Input: `first payload type (1) ‖ chain`.

#![no_main]

use ike_wire::{
    NotifyPayload, Payload, PayloadType, TicketLtOpaque, parse_payload_chain,
    try_emit_payload_chain,
};
use libfuzzer_sys::fuzz_target;

fn check_notify(n: &NotifyPayload) {
    if let Ok(w) = n.window_size() {
        assert_eq!(NotifyPayload::set_window_size(w).data, n.data);
    }
    if let Ok(g) = n.invalid_ke_group() {
        assert_eq!(NotifyPayload::invalid_ke_payload(g).data, n.data);
    }
    if let Ok(h) = n.hash_algorithms() {
        assert_eq!(NotifyPayload::signature_hash_algorithms(&h).data, n.data);
    }
    if let Ok(t) = n.opaque_ticket() {
        assert!(!t.is_empty());
    }
    if let Ok(t) = TicketLtOpaque::parse(&n.data) {
        assert!(!t.ticket.is_empty());
        assert_eq!(t.to_data(), n.data);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, chain)) = data.split_first() else {
        return;
    };
    let first = PayloadType::from(first);
    let Ok(payloads) = parse_payload_chain(first, chain) else {
        return;
    };
    for p in &payloads {
        if let Payload::Notify(n) = p {
            check_notify(n);
        }
    }
    let mut out = Vec::new();
    let emitted_first =
        try_emit_payload_chain(&payloads, &mut out).expect("a parsed chain must re-encode");
    assert_eq!(emitted_first, first);
    let again = parse_payload_chain(emitted_first, &out).expect("an emitted chain must parse");
    assert_eq!(again, payloads);
    let mut out2 = Vec::new();
    try_emit_payload_chain(&again, &mut out2).expect("a re-parsed chain must re-encode");
    assert_eq!(out2, out, "chain encoding is not a fixed point");
});
