//! Seal arbitrary plaintext with each suite, then open it back: must be equal, for SK and
//! SKF, with and without an unencrypted payload before it. Any one flipped octet of the
//! sealed message must then fail to open: the ICV/tag covers the whole message (RFC 7296
//! §3.14, RFC 5282 §5.1), and a length field that no longer matches is malformed.
//!
//! Input: `mode ‖ [fragment number (2) ‖ total fragments (2)] ‖ first inner type (1) ‖ IV ‖
//! plaintext`. Mode bits 0–2 select the suite (modulo 5), bit 3 adds a clear Notify before
//! SK, bit 4 selects SKF (and the four fragment octets). The IV is the suite's IV length
//! (16 for CBC, 8 for AEAD).

#![no_main]

use ike_crypto::CryptoError;
use ike_crypto::sk::{open, open_fragment, seal_with_iv};
use libfuzzer_sys::fuzz_target;
use tessera_fuzz::fixtures::{SUITES, icv_len, ike_auth_header, sk_keys, suite_index};
use tessera_fuzz::seeds::{ROUNDTRIP_CLEAR_PAYLOAD, ROUNDTRIP_FRAGMENT};

const SK: u8 = 46;
const SKF: u8 = 53;
const NOTIFY: u8 = 41;

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if data.len() < n {
        return None;
    }
    let (head, rest) = data.split_at(n);
    *data = rest;
    Some(head)
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let Some(&[mode]) = take(&mut data, 1) else {
        return;
    };
    let suite = suite_index(mode & 0x07);
    let keys = sk_keys(suite);
    let (encr, _) = SUITES[suite];
    let fragment = if mode & ROUNDTRIP_FRAGMENT != 0 {
        let Some(f) = take(&mut data, 4) else {
            return;
        };
        Some((
            u16::from_be_bytes([f[0], f[1]]),
            u16::from_be_bytes([f[2], f[3]]),
        ))
    } else {
        None
    };
    let Some(&[first_inner]) = take(&mut data, 1) else {
        return;
    };
    let Some(iv) = take(&mut data, encr.iv_len()) else {
        return;
    };
    let plaintext = data;

    let sk_type = if fragment.is_some() { SKF } else { SK };
    let mut head = if mode & ROUNDTRIP_CLEAR_PAYLOAD != 0 {
        let mut h = ike_auth_header(NOTIFY).to_vec();
        // N(INITIAL_CONTACT) chaining to SK/SKF.
        h.extend_from_slice(&[sk_type, 0, 0, 8, 0, 0, 0x40, 0x00]);
        h
    } else {
        ike_auth_header(sk_type).to_vec()
    };
    let offset = head.len();

    let sealed = seal_with_iv(&keys, &head, first_inner, fragment, plaintext, iv);
    let frag_ok = fragment.is_none_or(|(n, t)| n >= 1 && n <= t);
    let block = encr.block_len();
    let enc_len = plaintext.len() + (block - (plaintext.len() + 1) % block) % block + 1;
    let sk_len =
        4 + if fragment.is_some() { 4 } else { 0 } + encr.iv_len() + enc_len + icv_len(suite);
    let sealed = match sealed {
        Ok(m) => {
            assert!(frag_ok && sk_len <= usize::from(u16::MAX));
            m
        }
        Err(e) => {
            assert!(
                !frag_ok || sk_len > usize::from(u16::MAX),
                "seal refused: {e}"
            );
            return;
        }
    };
    assert_eq!(sealed.len(), offset + sk_len, "minimal padding");
    assert_eq!(&sealed[..16], &head[..16]);
    assert_eq!(
        ike_wire::find_encrypted_payload(&sealed),
        Ok(Some(offset)),
        "the sealed message must walk to its SK/SKF"
    );

    let opened = match fragment {
        None => open(&keys, &sealed, offset).map(|(f, p)| (f, None, p)),
        Some(_) => open_fragment(&keys, &sealed, offset).map(|(f, n, t, p)| (f, Some((n, t)), p)),
    }
    .expect("a sealed message must open");
    assert_eq!(opened.0, first_inner);
    assert_eq!(opened.1, fragment);
    assert_eq!(opened.2.expose(), plaintext);

    // One flipped octet anywhere, position chosen by the input.
    let pos = input.iter().map(|&b| usize::from(b)).sum::<usize>() % sealed.len();
    head.clear();
    head.extend_from_slice(&sealed);
    head[pos] ^= 0x01;
    let tampered = match fragment {
        None => open(&keys, &head, offset).map(|_| ()),
        Some(_) => open_fragment(&keys, &head, offset).map(|_| ()),
    };
    match tampered {
        Err(CryptoError::AuthenticationFailed | CryptoError::Malformed(_)) => {}
        other => panic!("flipping octet {pos} of {} gave {other:?}", sealed.len()),
    }
});
