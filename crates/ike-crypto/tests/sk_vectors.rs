//! Known-answer, round-trip and tamper tests for `ike_crypto::{cipher, sk}` (conformance §G.9,
//! §H.1).
//!
//! Sources: RFC 7634 Appendix B (a complete ChaCha20-Poly1305 SK message), RFC 3602 §4 Cases
//! #1–#4 (AES-128-CBC), RFC 8439 §2.8.2 (ChaCha20-Poly1305 AEAD), McGrew & Viega GCM spec
//! Test Cases 4 and 16 (AES-GCM with AAD).

use hex_literal::hex;
use ike_crypto::cipher::{aead_open, aead_seal, aes_cbc_decrypt, aes_cbc_encrypt};
use ike_crypto::sk::{SkKeys, open, open_fragment, seal, seal_fragment, seal_with_iv};
use ike_crypto::{CryptoError, EncrAlg, IntegAlg};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

// ---------------------------------------------------------------------------------------------
// RFC 7634 Appendix B: INFORMATIONAL request with N(SET_WINDOW_SIZE), ChaCha20-Poly1305
// ---------------------------------------------------------------------------------------------

const B_SK_E: [u8; 36] = hex!(
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" // key
    "a0a1a2a3" // salt
);
/// IKE header: SPIi c0.., SPIr d0.., Next Payload SK (0x2e), version 2.0, INFORMATIONAL (37),
/// flags 0, MID 9, Length 69.
const B_HEADER: [u8; 28] = hex!("c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045");
/// The Notify payload (SET_WINDOW_SIZE = 0x4001, window 10), the whole inner chain.
const B_PLAINTEXT: [u8; 12] = hex!("0000000c 00004001 0000000a");
const B_IV: [u8; 8] = hex!("1011121314151617");
const B_MESSAGE: [u8; 69] = hex!(
    "c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045" // IKE header
    "29 00 0029"                                                      // SK: next N, len 41
    "1011121314151617"                                                // IV
    "610394701f8d017f7c12924889"                                      // payloads | padLen 0
    "6b71bfe25236efd7cdc67066906315b2"                                // tag
);

fn rfc7634_keys() -> SkKeys {
    SkKeys::new(EncrAlg::ChaCha20Poly1305, None, &B_SK_E, &[]).unwrap()
}

#[test]
fn rfc7634_appendix_b_opens_byte_for_byte() {
    let (first, plain) = open(&rfc7634_keys(), &B_MESSAGE, 28).unwrap();
    assert_eq!(first, 41, "first inner payload is Notify");
    assert_eq!(plain.expose(), B_PLAINTEXT);
}

#[test]
fn rfc7634_appendix_b_reseals_to_the_exact_message() {
    let mut header = B_HEADER;
    header[24..28].copy_from_slice(&[0; 4]); // seal must patch the Length itself
    let sealed = seal_with_iv(&rfc7634_keys(), &header, 41, None, &B_PLAINTEXT, &B_IV).unwrap();
    assert_eq!(sealed, B_MESSAGE);
}

#[test]
fn rfc7634_appendix_b_raw_aead() {
    // The same vector at the cipher layer: AAD = IKE header + SK generic header (32 octets).
    let mut data = hex!("0000000c000040010000000a00").to_vec();
    let nonce = hex!("a0a1a2a3 1011121314151617");
    let tag = aead_seal(
        EncrAlg::ChaCha20Poly1305,
        &B_SK_E[..32],
        &nonce,
        &B_MESSAGE[..32],
        &mut data,
    )
    .unwrap();
    assert_eq!(data, hex!("610394701f8d017f7c12924889"));
    assert_eq!(tag, hex!("6b71bfe25236efd7cdc67066906315b2"));
}

// ---------------------------------------------------------------------------------------------
// Raw primitives
// ---------------------------------------------------------------------------------------------

/// (key, IV, plaintext, ciphertext).
type CbcCase = (&'static [u8], [u8; 16], &'static [u8], &'static [u8]);

#[test]
fn rfc3602_section4_cases_1_to_4() {
    let cases: [CbcCase; 4] = [
        (
            &hex!("06a9214036b8a15b512e03d534120006"),
            hex!("3dafba429d9eb430b422da802c9fac41"),
            b"Single block msg",
            &hex!("e353779c1079aeb82708942dbe77181a"),
        ),
        (
            &hex!("c286696d887c9aa0611bbb3e2025a45a"),
            hex!("562e17996d093d28ddb3ba695a2e6f58"),
            &hex!("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            &hex!("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"),
        ),
        (
            &hex!("6c3ea0477630ce21a2ce334aa746c2cd"),
            hex!("c782dc4c098c66cbd9cd27d825682c81"),
            b"This is a 48-byte message (exactly 3 AES blocks)",
            &hex!(
                "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
                "021c19216bad525c8579695d83ba2684"
            ),
        ),
        (
            &hex!("56e47a38c5598974bc46903dba290349"),
            hex!("8ce82eefbea0da3c44699ed7db51b7d9"),
            &hex!(
                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
            ),
            &hex!(
                "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
                "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"
            ),
        ),
    ];
    for (i, (key, iv, plain, cipher)) in cases.iter().enumerate() {
        let mut buf = plain.to_vec();
        aes_cbc_encrypt(key, iv, &mut buf).unwrap();
        assert_eq!(&buf[..], *cipher, "case #{}", i + 1);
        aes_cbc_decrypt(key, iv, &mut buf).unwrap();
        assert_eq!(&buf[..], *plain, "case #{}", i + 1);
    }
}

#[test]
fn rfc8439_2_8_2_aead_example() {
    let key = hex!("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce = hex!("070000004041424344454647");
    let aad = hex!("50515253c0c1c2c3c4c5c6c7");
    let plain: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one \
tip for the future, sunscreen would be it.";
    let ct = hex!(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
    );
    let tag = hex!("1ae10b594f09e26a7e902ecbd0600691");
    let mut buf = plain.to_vec();
    let got_tag = aead_seal(EncrAlg::ChaCha20Poly1305, &key, &nonce, &aad, &mut buf).unwrap();
    assert_eq!(buf, ct);
    assert_eq!(got_tag, tag);
    buf.extend_from_slice(&tag);
    let n = aead_open(EncrAlg::ChaCha20Poly1305, &key, &nonce, &aad, &mut buf).unwrap();
    assert_eq!(&buf[..n], plain);
    // A wrong AAD fails.
    let mut ct_tag = ct.to_vec();
    ct_tag.extend_from_slice(&tag);
    assert_eq!(
        aead_open(EncrAlg::ChaCha20Poly1305, &key, &nonce, b"", &mut ct_tag),
        Err(CryptoError::AuthenticationFailed)
    );
}

/// (algorithm, key, ciphertext, tag).
type GcmCase = (EncrAlg, &'static [u8], [u8; 60], [u8; 16]);

#[test]
fn gcm_spec_test_cases_4_and_16() {
    // McGrew & Viega, "The Galois/Counter Mode of Operation", Test Cases 4 (AES-128) and
    // 16 (AES-256). The 12-octet IV splits as IKEv2 salt cafebabe ‖ IV facedbaddecaf888.
    let nonce = hex!("cafebabefacedbaddecaf888");
    let aad = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let plain = hex!(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    );
    let cases: [GcmCase; 2] = [
        (
            EncrAlg::AesGcm16_128,
            &hex!("feffe9928665731c6d6a8f9467308308"),
            hex!(
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
            ),
            hex!("5bc94fbc3221a5db94fae95ae7121a47"),
        ),
        (
            EncrAlg::AesGcm16_256,
            &hex!("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
            hex!(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            ),
            hex!("76fc6ece0f4e1768cddf8853bb2d551b"),
        ),
    ];
    for (alg, key, ct, tag) in cases {
        let mut buf = plain.to_vec();
        assert_eq!(
            aead_seal(alg, key, &nonce, &aad, &mut buf).unwrap(),
            tag,
            "{alg:?}"
        );
        assert_eq!(buf, ct, "{alg:?}");
        buf.extend_from_slice(&tag);
        let n = aead_open(alg, key, &nonce, &aad, &mut buf).unwrap();
        assert_eq!(&buf[..n], plain, "{alg:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// SK framing: round trips, tampering, truncation, padding
// ---------------------------------------------------------------------------------------------

/// The five suites: (encr, integ). Key bytes are derived from a per-suite pattern.
const SUITES: [(EncrAlg, Option<IntegAlg>); 5] = [
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha512_256)),
    (EncrAlg::AesGcm16_128, None),
    (EncrAlg::AesGcm16_256, None),
    (EncrAlg::ChaCha20Poly1305, None),
];

fn keys_for(encr: EncrAlg, integ: Option<IntegAlg>, seed: u8) -> SkKeys {
    let sk_e: Vec<u8> = (0..encr.key_material_len())
        .map(|i| seed.wrapping_add(i as u8))
        .collect();
    let sk_a: Vec<u8> = (0..integ.map_or(0, IntegAlg::key_len))
        .map(|i| seed ^ 0x5a ^ i as u8)
        .collect();
    SkKeys::new(encr, integ, &sk_e, &sk_a).unwrap()
}

/// An IKE_AUTH-like header whose Next Payload is `next`.
fn header(next: u8) -> Vec<u8> {
    let mut h = hex!("0102030405060708 1112131415161718 00 20 23 08 00000001 00000000").to_vec();
    h[16] = next;
    h
}

/// Header followed by one unencrypted Notify payload that chains to SK.
fn header_with_clear_payload() -> Vec<u8> {
    let mut h = header(41);
    h.extend_from_slice(&hex!("2e 00 0008 00 00 4004")); // N(NAT_DETECTION…-like), next = SK
    h
}

fn sample_plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn round_trip_all_suites_with_and_without_clear_payloads() {
    let mut rng = ChaCha20Rng::seed_from_u64(46);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x10);
        for prefix in [header(46), header_with_clear_payload()] {
            for len in [0, 1, 14, 15, 16, 17, 31, 32, 100, 1000] {
                let pt = sample_plaintext(len);
                let msg = seal(&keys, &prefix, 35, &pt, &mut rng).unwrap();
                assert_eq!(
                    u32::from_be_bytes(msg[24..28].try_into().unwrap()) as usize,
                    msg.len(),
                    "header length patched"
                );
                assert_eq!(&msg[..24], &prefix[..24]);
                assert_eq!(&msg[28..prefix.len()], &prefix[28..]);
                let sk_off = prefix.len();
                assert_eq!(msg[sk_off], 35);
                assert_eq!(msg[sk_off + 1], 0, "C bit and RESERVED clear");
                let sk_len = u16::from_be_bytes([msg[sk_off + 2], msg[sk_off + 3]]) as usize;
                assert_eq!(sk_len, msg.len() - sk_off);
                assert!(
                    sk_len - 4 - len <= keys.overhead(),
                    "{encr:?}: overhead {} < {}",
                    keys.overhead(),
                    sk_len - 4 - len
                );
                if encr.is_aead() {
                    // Pad length 0 on send: exactly IV + payloads + padLen + tag.
                    assert_eq!(sk_len, 4 + 8 + len + 1 + 16);
                } else {
                    assert_eq!((sk_len - 4 - 16 - integ.unwrap().icv_len()) % 16, 0);
                }
                let (first, plain) = open(&keys, &msg, sk_off).unwrap();
                assert_eq!(first, 35);
                assert_eq!(plain.expose(), pt, "{encr:?} len {len}");
            }
        }
    }
}

#[test]
fn sealing_is_deterministic_under_a_seeded_rng_and_ivs_differ() {
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 1);
        let pt = sample_plaintext(20);
        let a = seal(
            &keys,
            &header(46),
            41,
            &pt,
            &mut ChaCha20Rng::seed_from_u64(9),
        )
        .unwrap();
        let b = seal(
            &keys,
            &header(46),
            41,
            &pt,
            &mut ChaCha20Rng::seed_from_u64(9),
        )
        .unwrap();
        assert_eq!(a, b);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let c = seal(&keys, &header(46), 41, &pt, &mut rng).unwrap();
        let d = seal(&keys, &header(46), 41, &pt, &mut rng).unwrap();
        let iv = 32..32 + encr.iv_len();
        assert_ne!(c[iv.clone()], d[iv], "{encr:?}: fresh IV per message");
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x33);
        for prefix in [header(46), header_with_clear_payload()] {
            let msg = seal(&keys, &prefix, 39, &sample_plaintext(37), &mut rng).unwrap();
            for bit in 0..msg.len() * 8 {
                let mut bad = msg.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                let r = open(&keys, &bad, prefix.len());
                assert!(r.is_err(), "{encr:?}: flip of bit {bit} accepted");
            }
        }
    }
}

#[test]
fn bit_flips_in_protected_bytes_are_authentication_failures() {
    // Bits outside the two length fields pass the structural checks, so they must be caught by
    // the ICV/tag itself, not by accident.
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x44);
        let msg = seal(&keys, &header(46), 39, &sample_plaintext(21), &mut rng).unwrap();
        for byte in (0..msg.len()).filter(|b| !(24..28).contains(b) && !(30..32).contains(b)) {
            let mut bad = msg.clone();
            bad[byte] ^= 0x80;
            assert_eq!(
                open(&keys, &bad, 28).unwrap_err(),
                CryptoError::AuthenticationFailed,
                "{encr:?}: byte {byte}"
            );
        }
    }
}

#[test]
fn wrong_keys_are_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    for (encr, integ) in SUITES {
        let sender = keys_for(encr, integ, 0x01);
        let other = keys_for(encr, integ, 0x02);
        let msg = seal(&sender, &header(46), 41, b"payload", &mut rng).unwrap();
        assert_eq!(
            open(&other, &msg, 28).unwrap_err(),
            CryptoError::AuthenticationFailed
        );
    }
}

/// Set the IKE header Length and the SK payload Length to match a truncated buffer, so that
/// the structural checks pass and the deeper ones run.
fn relabel_lengths(msg: &mut [u8], sk_off: usize) {
    let total = msg.len() as u32;
    msg[24..28].copy_from_slice(&total.to_be_bytes());
    if msg.len() >= sk_off + 4 {
        let sk_len = (msg.len() - sk_off) as u16;
        msg[sk_off + 2..sk_off + 4].copy_from_slice(&sk_len.to_be_bytes());
    }
}

#[test]
fn truncated_messages_are_rejected_without_panicking() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x66);
        let msg = seal(&keys, &header(46), 41, &sample_plaintext(40), &mut rng).unwrap();
        for len in 0..msg.len() {
            let cut = &msg[..len];
            assert!(open(&keys, cut, 28).is_err(), "{encr:?}: prefix {len}");
            assert!(open_fragment(&keys, cut, 28).is_err());
            let mut relabelled = cut.to_vec();
            if len >= 28 {
                relabel_lengths(&mut relabelled, 28);
            }
            assert!(
                open(&keys, &relabelled, 28).is_err(),
                "{encr:?}: relabelled {len}"
            );
        }
        // Arbitrary offsets, including past the end, never panic and never succeed.
        for off in (0..msg.len() + 8).filter(|&o| o != 28) {
            assert!(open(&keys, &msg, off).is_err(), "{encr:?}: offset {off}");
            assert!(open_fragment(&keys, &msg, off).is_err());
        }
        assert!(open(&keys, &msg, usize::MAX).is_err());
    }
}

/// Build a CBC SK message around an arbitrary already-padded inner buffer (the last octet
/// being the Pad Length), with a valid ICV.
fn cbc_message_with_inner(keys_e: &[u8], keys_a: &[u8], inner: &[u8]) -> Vec<u8> {
    let iv = [0x24u8; 16];
    let mut enc = inner.to_vec();
    aes_cbc_encrypt(keys_e, &iv, &mut enc).unwrap();
    let integ = IntegAlg::HmacSha256_128;
    let sk_len = 4 + 16 + enc.len() + integ.icv_len();
    let mut msg = header(46);
    msg.extend_from_slice(&[41, 0]);
    msg.extend_from_slice(&(sk_len as u16).to_be_bytes());
    msg.extend_from_slice(&iv);
    msg.extend_from_slice(&enc);
    let total = (msg.len() + integ.icv_len()) as u32;
    msg[24..28].copy_from_slice(&total.to_be_bytes());
    let icv = integ.compute(keys_a, &msg);
    msg.extend_from_slice(&icv);
    msg
}

/// Same for an AEAD cipher (ChaCha20-Poly1305).
fn aead_message_with_inner(sk_e: &[u8], inner: &[u8]) -> Vec<u8> {
    let iv = hex!("0001020304050607");
    let sk_len = 4 + 8 + inner.len() + 16;
    let mut msg = header(46);
    msg.extend_from_slice(&[41, 0]);
    msg.extend_from_slice(&(sk_len as u16).to_be_bytes());
    let total = (msg.len() + 8 + inner.len() + 16) as u32;
    msg[24..28].copy_from_slice(&total.to_be_bytes());
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&sk_e[32..]);
    nonce[4..].copy_from_slice(&iv);
    let mut enc = inner.to_vec();
    let tag = aead_seal(
        EncrAlg::ChaCha20Poly1305,
        &sk_e[..32],
        &nonce,
        &msg,
        &mut enc,
    )
    .unwrap();
    msg.extend_from_slice(&iv);
    msg.extend_from_slice(&enc);
    msg.extend_from_slice(&tag);
    msg
}

#[test]
fn padding_any_valid_length_is_accepted_and_invalid_is_malformed() {
    let sk_e = [0x61u8; 16];
    let sk_a = [0x62u8; 32];
    let keys = SkKeys::new(
        EncrAlg::AesCbc128,
        Some(IntegAlg::HmacSha256_128),
        &sk_e,
        &sk_a,
    )
    .unwrap();
    // 4 payload octets + 27 octets of (non-zero) padding + Pad Length 27 = 32: valid, not minimal.
    let mut inner = b"abcd".to_vec();
    inner.extend_from_slice(&[0xee; 27]);
    inner.push(27);
    let (_, plain) = open(&keys, &cbc_message_with_inner(&sk_e, &sk_a, &inner), 28).unwrap();
    assert_eq!(plain.expose(), b"abcd");
    // Pad Length 31 in a 32-octet block: zero payload octets, still valid.
    let mut inner = vec![0u8; 31];
    inner.push(31);
    let (_, plain) = open(&keys, &cbc_message_with_inner(&sk_e, &sk_a, &inner), 28).unwrap();
    assert!(plain.expose().is_empty());
    // Pad Length 32 and 255 claim more octets than exist.
    for bad in [32u8, 255] {
        let mut inner = vec![0u8; 31];
        inner.push(bad);
        assert_eq!(
            open(&keys, &cbc_message_with_inner(&sk_e, &sk_a, &inner), 28).unwrap_err(),
            CryptoError::Malformed("invalid SK padding")
        );
    }

    let sk_e = [0x71u8; 36];
    let keys = SkKeys::new(EncrAlg::ChaCha20Poly1305, None, &sk_e, &[]).unwrap();
    let (_, plain) = open(
        &keys,
        &aead_message_with_inner(&sk_e, b"xyz\x01\x02\x03\x03"),
        28,
    )
    .unwrap();
    assert_eq!(plain.expose(), b"xyz");
    assert_eq!(
        open(&keys, &aead_message_with_inner(&sk_e, b"xyz\x04"), 28).unwrap_err(),
        CryptoError::Malformed("invalid SK padding")
    );
}

#[test]
fn cbc_ciphertext_must_be_block_aligned() {
    let sk_e = [0x61u8; 16];
    let sk_a = [0x62u8; 32];
    let keys = SkKeys::new(
        EncrAlg::AesCbc128,
        Some(IntegAlg::HmacSha256_128),
        &sk_e,
        &sk_a,
    )
    .unwrap();
    let mut msg = cbc_message_with_inner(&sk_e, &sk_a, &[0u8; 16]);
    // Drop one ciphertext octet and fix up both lengths: structurally consistent, misaligned.
    msg.remove(28 + 4 + 16);
    relabel_lengths(&mut msg, 28);
    assert_eq!(
        open(&keys, &msg, 28).unwrap_err(),
        CryptoError::Malformed("CBC ciphertext not block-aligned")
    );
}

#[test]
fn seal_checks_its_inputs() {
    let keys = keys_for(EncrAlg::AesGcm16_128, None, 9);
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    assert!(matches!(
        seal(&keys, &header(46)[..27], 41, b"", &mut rng),
        Err(CryptoError::Malformed(_))
    ));
    // The header must point at SK (or SKF for fragments) when nothing is unencrypted.
    assert!(matches!(
        seal(&keys, &header(41), 41, b"", &mut rng),
        Err(CryptoError::Malformed(_))
    ));
    assert!(matches!(
        seal_fragment(&keys, &header(46), 41, 1, 2, b"", &mut rng),
        Err(CryptoError::Malformed(_))
    ));
    for (no, total) in [(0, 1), (1, 0), (3, 2)] {
        assert!(matches!(
            seal_fragment(&keys, &header(53), 41, no, total, b"", &mut rng),
            Err(CryptoError::Malformed(_))
        ));
    }
    // Too large for one payload's 16-bit length.
    assert!(matches!(
        seal(&keys, &header(46), 41, &vec![0u8; 70_000], &mut rng),
        Err(CryptoError::Malformed(_))
    ));
    // Wrong injected IV length.
    assert!(matches!(
        seal_with_iv(&keys, &header(46), 41, None, b"", &[0u8; 16]),
        Err(CryptoError::Malformed(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// SKF (RFC 7383)
// ---------------------------------------------------------------------------------------------

#[test]
fn fragments_round_trip_for_all_suites() {
    let mut rng = ChaCha20Rng::seed_from_u64(7383);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x53);
        let total = 3u16;
        for frag_no in 1..=total {
            let first = if frag_no == 1 { 37 } else { 0 };
            let pt = sample_plaintext(50 + frag_no as usize);
            let msg =
                seal_fragment(&keys, &header(53), first, frag_no, total, &pt, &mut rng).unwrap();
            assert_eq!(&msg[32..36], &[0, frag_no as u8, 0, total as u8]);
            let (n, no, tot, plain) = open_fragment(&keys, &msg, 28).unwrap();
            assert_eq!((n, no, tot), (first, frag_no, total));
            assert_eq!(plain.expose(), pt);
            // An SKF is not an SK: opening it as SK reads the fragment fields as IV and fails.
            assert!(open(&keys, &msg, 28).is_err());
        }
    }
}

#[test]
fn fragment_fields_are_authenticated() {
    let mut rng = ChaCha20Rng::seed_from_u64(53);
    for (encr, integ) in SUITES {
        let keys = keys_for(encr, integ, 0x35);
        let msg = seal_fragment(&keys, &header(53), 0, 2, 4, b"fragment two", &mut rng).unwrap();
        // Renumber 2/4 as 3/4 (still a valid pair): the ICV/AAD must catch it.
        let mut bad = msg.clone();
        bad[33] = 3;
        assert_eq!(
            open_fragment(&keys, &bad, 28).unwrap_err(),
            CryptoError::AuthenticationFailed,
            "{encr:?}"
        );
        for bit in 0..msg.len() * 8 {
            let mut bad = msg.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                open_fragment(&keys, &bad, 28).is_err(),
                "{encr:?} bit {bit}"
            );
        }
    }
}

#[test]
fn invalid_fragment_numbers_are_malformed_on_receipt() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = keys_for(EncrAlg::ChaCha20Poly1305, None, 1);
    let msg = seal_fragment(&keys, &header(53), 0, 1, 1, b"x", &mut rng).unwrap();
    for (no, total) in [(0u16, 1u16), (1, 0), (2, 1)] {
        let mut bad = msg.clone();
        bad[32..34].copy_from_slice(&no.to_be_bytes());
        bad[34..36].copy_from_slice(&total.to_be_bytes());
        assert_eq!(
            open_fragment(&keys, &bad, 28).unwrap_err(),
            CryptoError::Malformed("invalid fragment number")
        );
    }
}
