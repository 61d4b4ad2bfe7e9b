//! `Message::parse` on arbitrary datagrams: never panics; a parsed message re-encodes, and
//! the encoding parses back to the same header and payloads.
//!
//! Also cross-checks the two chain walkers (`Message::parse` and `find_encrypted_payload`
//! must agree on where SK/SKF is), and that every parse error maps to an encodable error
//! notify, since a responder sends exactly that back (RFC 7296 §2.21.2).
//!
//! Input: one IKE datagram, without the non-ESP marker.

#![no_main]

use ike_wire::{Message, NotifyPayload, Payload, find_encrypted_payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let located = find_encrypted_payload(data);
    let msg = match Message::parse(data) {
        Ok(msg) => msg,
        Err(e) => {
            let n = NotifyPayload::for_wire_error(&e);
            assert_eq!(n.notify_type, e.notify_type());
            assert_eq!(n.data, e.notify_data().unwrap_or_default());
            Payload::Notify(n)
                .emit_body(&mut Vec::new())
                .expect("error notify must encode");
            return;
        }
    };
    assert_eq!(msg.header.length as usize, data.len());

    // Both walkers see the same chain: SK/SKF found iff it is the last outer payload.
    let protected = matches!(
        msg.payloads.last(),
        Some(Payload::Encrypted(_) | Payload::EncryptedFragment(_))
    );
    match located {
        Ok(Some(off)) => assert!(protected && off >= 28 && off + 4 <= data.len()),
        Ok(None) => assert!(!protected),
        Err(e) => panic!("find_encrypted_payload failed on a parsable message: {e}"),
    }

    let bytes = msg.try_emit().expect("a parsed message must re-encode");
    let again = Message::parse(&bytes).expect("an emitted message must parse");
    assert_eq!(again.payloads, msg.payloads);
    assert_eq!(again.header.length as usize, bytes.len());
    let mut header = msg.header.clone();
    header.length = again.header.length;
    assert_eq!(again.header, header);
});
