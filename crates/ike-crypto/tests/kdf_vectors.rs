//! Known-answer tests for the IKEv2 key schedules and AUTH.
//!
//! Sources:
//! - NSS `gtests/common/testvectors/ike-sha256-vectors.h` and `ike-sha384-vectors.h`
//!   ("these vectors are from this NIST samples": NIST CAVP SP 800-135 IKEv2 KDF), used by
//!   `gtests/pk11_gtest/pk11_ike_unittest.cc`: SKEYSEED (ikeGxy), rekey SKEYSEED (ikeV2Rekey)
//!   and prf+ DKM (ikePlus).
//! - RFC 5723 resumption: the self-computed regression vector of the conformance reference
//!   §H.3 (Python `hmac`, SKEYSEED cross-checked with `openssl dgst -mac HMAC`). It is *not*
//!   from any RFC; RFC 5723 publishes no vectors.
//! - AUTH: regression vectors computed independently on this machine with Python's `hmac`
//!   module from the RFC 7296 §2.15 / RFC 5723 §4.3.3 formulas (no published vector exists).
//!   They catch regressions and operand-order mistakes, not misreadings of the RFC.
//!
//! The CAVP child-SA DKM vectors (Child DKM, Child DH DKM) are only public for SHA-1 (libreswan
//! `programs/cavp/test.acvp.ikev2.run`); those are checked against the prf+ machinery in the
//! unit tests of `src/prf.rs`, since SHA-1 is not a negotiable PRF here.

use hex_literal::hex;
use ike_crypto::{
    CryptoError, DhAlg, EncrAlg, IkeSuite, IntegAlg, PrfAlg, derive_child_keys, derive_ike_keys,
    psk_auth, resumed_auth, signed_octets, skeyseed_fresh, skeyseed_rekey, skeyseed_resume,
    verify_psk_auth, verify_resumed_auth,
};

// ---------------------------------------------------------------------------------------------
// NIST CAVP via NSS, HMAC-SHA-256 (test ids 1, 6, 7, 8, 9, 10)
// ---------------------------------------------------------------------------------------------

const NSS256_NI: [u8; 8] = hex!("3f302be1abcb28e1");
const NSS256_NR: [u8; 8] = hex!("8c332ee006064c9b");
const NSS256_SPII: [u8; 8] = hex!("40dac39e1e1a8640");
const NSS256_SPIR: [u8; 8] = hex!("8619a1cf9a6e4c07");
const NSS256_SKEYSEED: [u8; 32] =
    hex!("5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe");
const NSS256_DKM: [u8; 132] = hex!(
    "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec"
    "e98aca531188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6"
    "cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
    "e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986"
    "d12d4aad"
);

#[test]
fn nss_sha256_skeyseed_fresh_id6() {
    let g_ir = hex!("0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29");
    let s = skeyseed_fresh(PrfAlg::HmacSha256, &NSS256_NI, &NSS256_NR, &g_ir);
    assert_eq!(s.expose(), NSS256_SKEYSEED);
}

#[test]
fn nss_sha256_skeyseed_fresh_id1_long_nonces() {
    // 256-octet nonces: the key (Ni | Nr, 512 octets) exceeds the HMAC block and is hashed.
    let ni = hex!(
        "b1dee62505b47b223bae14ce7a5b757402ad1587511618d09f94950d47f1d8d4"
        "ce86aca12d78db9854d86019ad735757ae79d8932ac0c7db842c85060150ca87"
        "5ea5d47e3cfcb2a05922ebb7959d49b9797a2289676ee79a1d9a18b790f87e47"
        "71ddaf4be3376057a553162f68fe429aca73b07234543801ba2122b1bde82251"
        "770d05df813cf556a11ca4dc43ffcb85a97dbed16e2fda6985e07e31be636489"
        "9e63c507c7c616e5eb7765a53560f76772de43918ba07badfe85244dcdcd917c"
        "b065afb60e3b7e68b54dd94bfc7c31c8b752892781ed3cc4b7f28fbc0ab9af90"
        "8f5ae1f09f893f80100a7b3135993161b51fbba3bbb24b9f88c6147de82cd6f0"
    );
    let nr = hex!(
        "f0acfef2ad1f7add0eaafda78c1cf1097d9fc91cb04a7c145069ac426fd164cb"
        "e661b1dd2df0fb84e19512181f0d8ea50b7860845f332757a8e56d2a3b7be436"
        "b5718a2d49baa996a4616684a208c2d611cd65e605dca6e3d3f116859b4410fe"
        "13679696bb2e23c08a40c7e1316d54b4c9c0286701c221151b3642cb4112ca1a"
        "53e0e597a7e29c634caed86ca3c31973d37b4c346134fd6784cd99913feedf3d"
        "29d89a0a02a5a750f02f5738109dcc670bb27701fb59f78e83b76860c3fec079"
        "a1fc8c937ddb58ae7500422b7e49ce63759c65b6bc439381d56bcc159edede89"
        "4b073841036ebfa050a5b3e7c876a3f18def26b1768a263ac66c9d83b680eb5e"
    );
    let g_ir = hex!("a1ff3dc6cf9b4c04709943cb4ca1f1789bcf360b03f1d027de3ae8ee039e9155");
    let s = skeyseed_fresh(PrfAlg::HmacSha256, &ni, &nr, &g_ir);
    assert_eq!(
        s.expose(),
        hex!("750c5c94b9c2ec20b68033e024dadf0fa87e8b48c6561b21c72478451a06583d")
    );
}

#[test]
fn nss_sha256_dkm_prf_plus_id8_9_10() {
    let seed: [&[u8]; 4] = [&NSS256_NI, &NSS256_NR, &NSS256_SPII, &NSS256_SPIR];
    for len in [132, 32, 15] {
        let dkm = PrfAlg::HmacSha256
            .prf_plus(&NSS256_SKEYSEED, &seed, len)
            .expect("within limit");
        assert_eq!(dkm.expose(), &NSS256_DKM[..len], "length {len}");
    }
}

#[test]
fn nss_sha256_rekey_skeyseed_id7() {
    // SK_d(old) is the first 32 octets of the DKM above (id 8); g^ir(new) from id 7.
    let sk_d = &NSS256_DKM[..32];
    let g_ir_new = hex!("25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c");
    let s = skeyseed_rekey(PrfAlg::HmacSha256, sk_d, &g_ir_new, &NSS256_NI, &NSS256_NR);
    assert_eq!(
        s.expose(),
        hex!("2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398")
    );
}

#[test]
fn nss_sha256_dkm_through_derive_ike_keys() {
    // The seven keys are consecutive slices of the same DKM (RFC 7296 §2.14). With
    // AES-CBC-128 + HMAC-SHA2-256-128: 32 + 32 + 32 + 16 + 16 + 32 + 32 = 192 octets; the
    // 132 published octets cover SK_d, SK_ai, SK_ar, SK_ei, SK_er and the first 4 of SK_pi.
    let suite = IkeSuite {
        encr: EncrAlg::AesCbc128,
        prf: PrfAlg::HmacSha256,
        integ: Some(IntegAlg::HmacSha256_128),
        dh: DhAlg::Modp2048,
    };
    let k = derive_ike_keys(
        &suite,
        &NSS256_SKEYSEED,
        &NSS256_NI,
        &NSS256_NR,
        &NSS256_SPII,
        &NSS256_SPIR,
    )
    .expect("derive");
    assert_eq!(k.sk_d.expose(), &NSS256_DKM[0..32]);
    assert_eq!(k.sk_ai.expose(), &NSS256_DKM[32..64]);
    assert_eq!(k.sk_ar.expose(), &NSS256_DKM[64..96]);
    assert_eq!(k.sk_ei.expose(), &NSS256_DKM[96..112]);
    assert_eq!(k.sk_er.expose(), &NSS256_DKM[112..128]);
    assert_eq!(&k.sk_pi.expose()[..4], &NSS256_DKM[128..132]);
    assert_eq!(k.sk_pi.len(), 32);
    assert_eq!(k.sk_pr.len(), 32);
}

// ---------------------------------------------------------------------------------------------
// NIST CAVP via NSS, HMAC-SHA-384 (test ids 6, 7, 8, 9, 10)
// ---------------------------------------------------------------------------------------------

const NSS384_NI: [u8; 8] = hex!("fd1b572a8e735591");
const NSS384_NR: [u8; 8] = hex!("6013b0ef88dacd3d");
const NSS384_SKEYSEED: [u8; 48] = hex!(
    "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d"
    "7d0b596f51f7dfcf3330061888f6a94f"
);
const NSS384_DKM: [u8; 132] = hex!(
    "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cac"
    "b04cd6deeda4f952191dd9bc1f7a9502471a648d74dc06d38112de48a42501f6"
    "b1a3ad55c2099cd9a648e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca"
    "0c2fcca81ec1a412006dfaed38fa06882e61f4c148105fb8e231fdb33c4d484c"
    "001721d4"
);

#[test]
fn nss_sha384_skeyseed_fresh_id6() {
    let g_ir = hex!("d3288cd87565101e88fe3bad918f31939d8dd26ff1071f8b2d7f447524e58d7c");
    let s = skeyseed_fresh(PrfAlg::HmacSha384, &NSS384_NI, &NSS384_NR, &g_ir);
    assert_eq!(s.expose(), NSS384_SKEYSEED);
}

#[test]
fn nss_sha384_dkm_prf_plus_id8_9_10() {
    let spi_i = hex!("2116ad07ce61f749");
    let spi_r = hex!("24880e55f11a65b7");
    let seed: [&[u8]; 4] = [&NSS384_NI, &NSS384_NR, &spi_i, &spi_r];
    for len in [132, 48, 15] {
        let dkm = PrfAlg::HmacSha384
            .prf_plus(&NSS384_SKEYSEED, &seed, len)
            .expect("within limit");
        assert_eq!(dkm.expose(), &NSS384_DKM[..len], "length {len}");
    }
}

#[test]
fn nss_sha384_rekey_skeyseed_id7() {
    let sk_d = &NSS384_DKM[..48];
    let g_ir_new = hex!("3358f620539473aee8d07e779764c4c6a9aabddc79a28e136b3bac021dbde44a");
    let s = skeyseed_rekey(PrfAlg::HmacSha384, sk_d, &g_ir_new, &NSS384_NI, &NSS384_NR);
    assert_eq!(
        s.expose(),
        hex!(
            "e0548c1682e13bce454026b3b1bdf42985b24e4e7408095a7c529de38c3d1fcb"
            "04c9fe6868042a34c9614c6c99e3fcea"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// RFC 5723 resumption regression vector (conformance reference §H.3; self-computed)
// ---------------------------------------------------------------------------------------------

fn seq(start: u8, len: u8) -> Vec<u8> {
    (start..start + len).collect()
}

const H3_SKEYSEED: [u8; 32] =
    hex!("05d99bbff3dbf4012dd40be83ebb04af2715031c6012094abc6280e0d911689e");
const H3_SPI_I: [u8; 8] = hex!("0102030405060708");
const H3_SPI_R: [u8; 8] = hex!("1112131415161718");
const H3_SK_D: [u8; 32] = hex!("df9a7000690603c31ca0ccf12d7263eb444b3c9ee80e4692f0c04eb5998b4b59");

#[test]
fn resumption_skeyseed_h3() {
    let sk_d_old = seq(0x00, 32);
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let s = skeyseed_resume(PrfAlg::HmacSha256, &sk_d_old, &ni, &nr);
    assert_eq!(s.expose(), H3_SKEYSEED);
}

#[test]
fn resumption_keys_aes_gcm_256_h3() {
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let suite = IkeSuite {
        encr: EncrAlg::AesGcm16_256,
        prf: PrfAlg::HmacSha256,
        integ: None,
        dh: DhAlg::Curve25519,
    };
    let k = derive_ike_keys(&suite, &H3_SKEYSEED, &ni, &nr, &H3_SPI_I, &H3_SPI_R).expect("keys");
    assert_eq!(k.sk_d.expose(), H3_SK_D);
    assert!(k.sk_ai.is_empty());
    assert!(k.sk_ar.is_empty());
    assert_eq!(
        k.sk_ei.expose(),
        hex!("fada9e99bc0ad21ab3e30c9977ca689c8f239915f41954649b4a844185d34a9f960999d5")
    );
    assert_eq!(
        k.sk_er.expose(),
        hex!("d2f7e1aae85c4b32d4d793903e9a2640af2193e4a7571dcf3c12e212583e1829fa0d8c47")
    );
    assert_eq!(
        k.sk_pi.expose(),
        hex!("8a2ad454233649973f5f9f1b43d9064e2e2af19cfc8965fc825446253b6dae08")
    );
    assert_eq!(
        k.sk_pr.expose(),
        hex!("73232940182de94c65a1970bc586fc6336011467db14a2eb6212c80afdb78e53")
    );

    // First Child SA, ESP AES-GCM-16-256, KEYMAT = prf+(SK_d, Ni | Nr) with the
    // IKE_SESSION_RESUME nonces.
    let c = derive_child_keys(
        PrfAlg::HmacSha256,
        k.sk_d.expose(),
        None,
        &ni,
        &nr,
        EncrAlg::AesGcm16_256,
        None,
    )
    .expect("child keys");
    assert_eq!(
        c.encr_i.expose(),
        hex!("8420831a6c1f537b46746f5ed20bca219e76c376cc030adcd7bb3304f22756d26e206a9f")
    );
    assert_eq!(
        c.encr_r.expose(),
        hex!("60a29059aa1d372e682bb513b2cce547ff6f1eeb650455ebf97b7ba786b69fec364ef034")
    );
    assert!(c.integ_i.is_empty());
    assert!(c.integ_r.is_empty());
}

#[test]
fn resumption_keys_aes_cbc_256_hmac_sha256_h3() {
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let suite = IkeSuite {
        encr: EncrAlg::AesCbc256,
        prf: PrfAlg::HmacSha256,
        integ: Some(IntegAlg::HmacSha256_128),
        dh: DhAlg::Ecp256,
    };
    let k = derive_ike_keys(&suite, &H3_SKEYSEED, &ni, &nr, &H3_SPI_I, &H3_SPI_R).expect("keys");
    assert_eq!(k.sk_d.expose(), H3_SK_D);
    assert_eq!(
        k.sk_ai.expose(),
        hex!("fada9e99bc0ad21ab3e30c9977ca689c8f239915f41954649b4a844185d34a9f")
    );
    assert_eq!(
        k.sk_ar.expose(),
        hex!("960999d5d2f7e1aae85c4b32d4d793903e9a2640af2193e4a7571dcf3c12e212")
    );
    assert_eq!(
        k.sk_ei.expose(),
        hex!("583e1829fa0d8c478a2ad454233649973f5f9f1b43d9064e2e2af19cfc8965fc")
    );
    assert_eq!(
        k.sk_er.expose(),
        hex!("825446253b6dae0873232940182de94c65a1970bc586fc6336011467db14a2eb")
    );
    assert_eq!(
        k.sk_pi.expose(),
        hex!("6212c80afdb78e534e5b73b15877621dc6d4a4158debb30cfb13372270e3ca3a")
    );
    assert_eq!(
        k.sk_pr.expose(),
        hex!("666f281071be5a97c136d3378b66c0ad70211f6525f8910f373c3c0af39e65b6")
    );
}

#[test]
fn resumption_h3_sanity_property_shared_prf_plus_stream() {
    // Both suites cut the same prf+ stream: SK_d is equal, and the CBC SK_ai equals the first
    // 32 octets of the GCM SK_ei.
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let gcm = IkeSuite {
        encr: EncrAlg::AesGcm16_256,
        prf: PrfAlg::HmacSha256,
        integ: None,
        dh: DhAlg::Curve25519,
    };
    let cbc = IkeSuite {
        encr: EncrAlg::AesCbc256,
        integ: Some(IntegAlg::HmacSha256_128),
        ..gcm
    };
    let a = derive_ike_keys(&gcm, &H3_SKEYSEED, &ni, &nr, &H3_SPI_I, &H3_SPI_R).expect("gcm");
    let b = derive_ike_keys(&cbc, &H3_SKEYSEED, &ni, &nr, &H3_SPI_I, &H3_SPI_R).expect("cbc");
    assert_eq!(a.sk_d.expose(), b.sk_d.expose());
    assert_eq!(b.sk_ai.expose(), &a.sk_ei.expose()[..32]);
}

#[test]
fn resumption_uses_the_label_first_and_the_new_spis() {
    // Swapping the operand order or reusing other SPIs must change the result.
    let sk_d_old = seq(0x00, 32);
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let swapped = skeyseed_resume(PrfAlg::HmacSha256, &sk_d_old, &nr, &ni);
    assert!(!swapped.ct_eq(&H3_SKEYSEED));
    let suite = IkeSuite {
        encr: EncrAlg::AesGcm16_256,
        prf: PrfAlg::HmacSha256,
        integ: None,
        dh: DhAlg::Curve25519,
    };
    let other = derive_ike_keys(&suite, &H3_SKEYSEED, &ni, &nr, &H3_SPI_R, &H3_SPI_I).expect("k");
    assert!(!other.sk_d.ct_eq(&H3_SK_D));
}

// ---------------------------------------------------------------------------------------------
// Child SA key split, suite checks, redaction
// ---------------------------------------------------------------------------------------------

#[test]
fn child_keys_follow_rfc7296_2_17_order_and_pfs_seed() {
    let sk_d = H3_SK_D;
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let g_ir = seq(0x80, 32);
    for g in [None, Some(&g_ir[..])] {
        let c = derive_child_keys(
            PrfAlg::HmacSha256,
            &sk_d,
            g,
            &ni,
            &nr,
            EncrAlg::AesCbc128,
            Some(IntegAlg::HmacSha256_128),
        )
        .expect("child");
        let seed: Vec<&[u8]> = match g {
            Some(g) => vec![g, &ni, &nr],
            None => vec![&ni, &nr],
        };
        let keymat = PrfAlg::HmacSha256
            .prf_plus(&sk_d, &seed, 96)
            .expect("keymat");
        let km = keymat.expose();
        assert_eq!(c.encr_i.expose(), &km[0..16]);
        assert_eq!(c.integ_i.expose(), &km[16..48]);
        assert_eq!(c.encr_r.expose(), &km[48..64]);
        assert_eq!(c.integ_r.expose(), &km[64..96]);
    }
}

#[test]
fn mismatched_aead_and_integ_are_rejected() {
    let bad = IkeSuite {
        encr: EncrAlg::ChaCha20Poly1305,
        prf: PrfAlg::HmacSha256,
        integ: Some(IntegAlg::HmacSha256_128),
        dh: DhAlg::Curve25519,
    };
    assert!(matches!(
        derive_ike_keys(&bad, &H3_SKEYSEED, b"n", b"n", &H3_SPI_I, &H3_SPI_R),
        Err(CryptoError::Malformed(_))
    ));
    assert!(matches!(
        derive_child_keys(
            PrfAlg::HmacSha256,
            &H3_SK_D,
            None,
            b"n",
            b"n",
            EncrAlg::AesGcm16_128,
            Some(IntegAlg::HmacSha256_128)
        ),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn key_debug_output_is_redacted() {
    let (ni, nr) = (seq(0x20, 32), seq(0x40, 32));
    let suite = IkeSuite {
        encr: EncrAlg::AesCbc256,
        prf: PrfAlg::HmacSha256,
        integ: Some(IntegAlg::HmacSha256_128),
        dh: DhAlg::Ecp256,
    };
    let k = derive_ike_keys(&suite, &H3_SKEYSEED, &ni, &nr, &H3_SPI_I, &H3_SPI_R).expect("keys");
    let c = derive_child_keys(
        PrfAlg::HmacSha256,
        &H3_SK_D,
        None,
        &ni,
        &nr,
        EncrAlg::AesCbc256,
        None,
    )
    .expect("child");
    let dk = format!("{k:?} {k:#?}");
    let dc = format!("{c:?}");
    for secret in [
        k.sk_d.expose(),
        k.sk_ai.expose(),
        k.sk_ar.expose(),
        k.sk_ei.expose(),
        k.sk_er.expose(),
        k.sk_pi.expose(),
        k.sk_pr.expose(),
    ] {
        // Any 4-octet window of the key, in lower or upper hex, must not appear.
        for w in secret.windows(4) {
            let h = hex::encode(w);
            assert!(
                !dk.contains(&h) && !dk.contains(&h.to_uppercase()),
                "IkeKeys leaks {h}"
            );
        }
        // Nor the decimal byte list a derived Debug of Vec<u8> would print.
        assert!(!dk.contains(format!("{:?}", &secret[..4]).trim_matches(['[', ']'])));
    }
    for secret in [c.encr_i.expose(), c.encr_r.expose()] {
        for w in secret.windows(4) {
            assert!(!dc.contains(&hex::encode(w)), "ChildKeys leaks");
        }
        assert!(!dc.contains(format!("{:?}", &secret[..4]).trim_matches(['[', ']'])));
    }
    assert!(dk.contains("SecretBytes(<32 bytes redacted>)"));
    assert!(dc.contains("SecretBytes(<32 bytes redacted>)"));
    assert!(dc.contains("SecretBytes(<0 bytes redacted>)"));
}

// ---------------------------------------------------------------------------------------------
// AUTH (RFC 7296 §2.15, RFC 5723 §4.3.3) — regression vectors
// ---------------------------------------------------------------------------------------------
//
// Inputs: message = 00 01 .. 3f (64 octets), peer nonce = 40 .. 5f (32 octets),
// SK_p = the §H.3 GCM SK_pi, ID payload body = ID_FQDN(2) | 000000 | "client.example",
// PSK = "correct horse battery staple". Expected values computed on this machine with:
//   maced = hmac(SK_p, id_body); octets = message + nonce + maced
//   psk   = hmac(hmac(PSK, b"Key Pad for IKEv2"), octets)
//   res   = hmac(SK_p, octets)
// (Python 3 `hmac.new(key, msg, hashlib.sha256 / sha512)`). Regression vectors, not published.

const AUTH_SK_P: [u8; 32] =
    hex!("8a2ad454233649973f5f9f1b43d9064e2e2af19cfc8965fc825446253b6dae08");
const AUTH_PSK: &[u8] = b"correct horse battery staple";

fn auth_inputs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut id_body = vec![2, 0, 0, 0];
    id_body.extend_from_slice(b"client.example");
    (seq(0x00, 64), seq(0x40, 32), id_body)
}

#[test]
fn signed_octets_layout() {
    let (msg, nonce, id) = auth_inputs();
    let o = signed_octets(PrfAlg::HmacSha256, &msg, &nonce, &AUTH_SK_P, &id);
    assert_eq!(o.len(), 64 + 32 + 32);
    assert_eq!(&o[..64], &msg[..]);
    assert_eq!(&o[64..96], &nonce[..]);
    assert_eq!(
        &o[96..],
        hex!("40e17d40418415c73e7a64f15eefb6995b320dce7f8adb12b1ab84f266a8682e")
    );
}

#[test]
fn psk_auth_regression_sha256_and_sha512() {
    let (msg, nonce, id) = auth_inputs();
    let o = signed_octets(PrfAlg::HmacSha256, &msg, &nonce, &AUTH_SK_P, &id);
    let expected = hex!("b6b8d2b798a15460e7a30c363b51e227280bcbf41bd94be617a093995bed940f");
    assert_eq!(
        psk_auth(PrfAlg::HmacSha256, AUTH_PSK, &o).expose(),
        expected
    );
    assert!(verify_psk_auth(PrfAlg::HmacSha256, AUTH_PSK, &o, &expected));

    let o = signed_octets(PrfAlg::HmacSha512, &msg, &nonce, &AUTH_SK_P, &id);
    assert_eq!(
        &o[96..],
        hex!(
            "871bac215d10faca53681f7842c23a235675c711e6db17100e39beb0284ae1dd"
            "79ffe13beab77030ecf81e00ed98c613ee6b6de18f374efef1977270c04ca0e5"
        )
    );
    assert_eq!(
        psk_auth(PrfAlg::HmacSha512, AUTH_PSK, &o).expose(),
        hex!(
            "df328b6380e0f0b9b98ae45c6cfb703202724c9787b0f18b0c1fbecadd353c73"
            "0710bef390642a51051118cad25dc939fb468fcf80f510244a618b5226449e49"
        )
    );
}

#[test]
fn resumed_auth_regression_sha256_and_sha512() {
    let (msg, nonce, id) = auth_inputs();
    let o = signed_octets(PrfAlg::HmacSha256, &msg, &nonce, &AUTH_SK_P, &id);
    let expected = hex!("5e6d9c430140114f903f64b5f8f80041cf3c977938c9b3db55c490bd1acfa639");
    assert_eq!(
        resumed_auth(PrfAlg::HmacSha256, &AUTH_SK_P, &o).expose(),
        expected
    );
    assert!(verify_resumed_auth(
        PrfAlg::HmacSha256,
        &AUTH_SK_P,
        &o,
        &expected
    ));

    let o = signed_octets(PrfAlg::HmacSha512, &msg, &nonce, &AUTH_SK_P, &id);
    assert_eq!(
        resumed_auth(PrfAlg::HmacSha512, &AUTH_SK_P, &o).expose(),
        hex!(
            "a17f3003812157d11f10c3ba0dc1d91ad818a52c79d8cdf37ab1886bb083e3b3"
            "fcd569c23ee3adffe5b57898c7ac03543059d406719a20fd07a67be099887e25"
        )
    );
}

#[test]
fn auth_verification_rejects_wrong_values() {
    let (msg, nonce, id) = auth_inputs();
    let o = signed_octets(PrfAlg::HmacSha256, &msg, &nonce, &AUTH_SK_P, &id);
    let good = psk_auth(PrfAlg::HmacSha256, AUTH_PSK, &o);
    let mut bad = good.expose().to_vec();
    bad[31] ^= 0x80;
    assert!(!verify_psk_auth(PrfAlg::HmacSha256, AUTH_PSK, &o, &bad));
    assert!(!verify_psk_auth(
        PrfAlg::HmacSha256,
        AUTH_PSK,
        &o,
        &good.expose()[..31]
    ));
    assert!(!verify_psk_auth(
        PrfAlg::HmacSha256,
        b"wrong psk",
        &o,
        good.expose()
    ));
    assert!(!verify_psk_auth(PrfAlg::HmacSha256, AUTH_PSK, &o, &[]));
    // The resumed form has no key pad: a PSK-style value computed with SK_p as the secret
    // must not verify as a resumed AUTH.
    let padded = psk_auth(PrfAlg::HmacSha256, &AUTH_SK_P, &o);
    assert!(!verify_resumed_auth(
        PrfAlg::HmacSha256,
        &AUTH_SK_P,
        &o,
        padded.expose()
    ));
    let mut tampered = o.clone();
    tampered[0] ^= 1;
    let res = resumed_auth(PrfAlg::HmacSha256, &AUTH_SK_P, &o);
    assert!(!verify_resumed_auth(
        PrfAlg::HmacSha256,
        &AUTH_SK_P,
        &tampered,
        res.expose()
    ));
}
