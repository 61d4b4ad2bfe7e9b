//! `sk::open` / `sk::open_fragment` on arbitrary messages under fixed keys of each suite.
//!
//! Never panics, whatever the lengths, offsets or padding say; the SK offset is the one
//! `find_encrypted_payload` reports, as on the receive path, or — when the chain walk fails —
//! right after the IKE header, so the framing checks inside `open` face unvalidated structure
//! too. Whatever opens must reseal to a message that opens to the same plaintext, and an AEAD
//! message with no padding must reseal byte for byte (RFC 7634 §3, RFC 5282 §3).
//!
//! Input: `suite selector (1) ‖ message`; the seeds are messages sealed with these keys
//! (RFC 7634 App. B for ChaCha20-Poly1305).

#![no_main]

use ike_crypto::sk::{SkKeys, open, open_fragment, seal_with_iv};
use libfuzzer_sys::fuzz_target;
use tessera_fuzz::fixtures::{IKE_HEADER_LEN, SUITES, icv_len, sk_keys, suite_index};

/// Generic payload header; SKF adds Fragment Number and Total Fragments.
const SK_HEADER_LEN: usize = 4;
const SKF_EXTRA: usize = 4;

fn check_reseal(
    keys: &SkKeys,
    suite: usize,
    msg: &[u8],
    offset: usize,
    first: u8,
    fragment: Option<(u16, u16)>,
    plain: &[u8],
) {
    let (encr, _) = SUITES[suite];
    let sk_hdr = SK_HEADER_LEN + if fragment.is_some() { SKF_EXTRA } else { 0 };
    let iv_start = offset + sk_hdr;
    let iv = &msg[iv_start..iv_start + encr.iv_len()];
    let enc_len = msg.len() - iv_start - encr.iv_len() - icv_len(suite);
    assert!(
        plain.len() < enc_len,
        "plaintext longer than the ciphertext"
    );

    let resealed = seal_with_iv(keys, &msg[..offset], first, fragment, plain, iv)
        .expect("what opened must reseal");
    let reopened = match fragment {
        None => open(keys, &resealed, offset).map(|(f, p)| (f, None, p)),
        Some(_) => open_fragment(keys, &resealed, offset).map(|(f, n, t, p)| (f, Some((n, t)), p)),
    }
    .expect("a resealed message must open");
    assert_eq!(reopened.0, first);
    assert_eq!(reopened.1, fragment);
    assert_eq!(reopened.2.expose(), plain);
    if encr.is_aead() && enc_len == plain.len() + 1 {
        assert_eq!(
            resealed, msg,
            "AEAD without padding must reseal byte for byte"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, msg)) = data.split_first() else {
        return;
    };
    let suite = suite_index(selector);
    let keys = sk_keys(suite);
    // Only an offset from the chain walk guarantees the header/chain points at SK/SKF, which
    // resealing needs.
    let (offset, walked) = match ike_wire::find_encrypted_payload(msg) {
        Ok(Some(off)) => (off, true),
        _ => (IKE_HEADER_LEN, false),
    };
    if let Ok((first, plain)) = open(&keys, msg, offset) {
        assert_eq!(
            usize::try_from(u32::from_be_bytes(msg[24..28].try_into().unwrap())).unwrap(),
            msg.len()
        );
        if walked {
            check_reseal(&keys, suite, msg, offset, first, None, plain.expose());
        }
    }
    if let Ok((first, no, total, plain)) = open_fragment(&keys, msg, offset) {
        assert!(no >= 1 && no <= total, "fragment {no} of {total} accepted");
        if walked {
            check_reseal(
                &keys,
                suite,
                msg,
                offset,
                first,
                Some((no, total)),
                plain.expose(),
            );
        }
    }
});
