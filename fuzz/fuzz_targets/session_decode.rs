//! `SuspendedSession::decode` (the client's session file) on arbitrary bytes.
//!
//! Input: `mode(1) ‖ bytes`. Mode 0 decodes the bytes as they are (almost everything fails the
//! MAC); mode 1 appends the right MAC first — the label is public, the MAC only detects torn
//! writes —, so mutations reach the field parser and the validation behind it.
//!
//! Whatever decodes must re-encode to exactly the input (the format has one encoding per
//! value), stay within the size limits, and not be expired before it was suspended in a way
//! the remaining-lifetime arithmetic cannot handle.
//!
//! Seeds: the session file of a real suspended SA (IPv4) and an IPv6 variant.

#![no_main]

use ike_crypto::PrfAlg;
use ike_proto::suspend::{MAX_SESSION_FILE_LEN, SuspendedSession};
use libfuzzer_sys::fuzz_target;

/// `ike_proto::suspend`'s MAC label (public by design).
const MAC_LABEL: &[u8] = b"tessera suspended session v1";

fn check(file: &[u8]) {
    let Ok(s) = SuspendedSession::decode(file) else {
        return;
    };
    assert!(file.len() <= MAX_SESSION_FILE_LEN);
    assert!(!s.ticket.is_empty(), "empty ticket accepted");
    assert_eq!(s.sk_d.len(), s.suite.prf.key_len(), "SK_d length");
    let _ = s.remaining_secs(s.suspended_at);
    let _ = format!("{s:?}");
    let again = s.encode();
    assert_eq!(again.expose(), file, "decode → encode is not the identity");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        check(bytes);
    } else {
        let mac = PrfAlg::HmacSha256.prf(MAC_LABEL, &[bytes]);
        let mut file = bytes.to_vec();
        file.extend_from_slice(&mac.expose()[..16]);
        check(&file);
    }
});
