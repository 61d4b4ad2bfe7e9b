//! Known-answer tests for the PRFs, prf+ and the INTEG transforms.
//!
//! Sources (byte for byte):
//! - RFC 4231 §4.2–§4.8, Test Cases 1–4, 6, 7 (TC 5 is a truncated-output case that IKEv2
//!   never uses as a PRF). RFC 4868 §2.7.1 repeats exactly these keys, data and outputs as the
//!   PRF-HMAC-SHA-256/384/512 vectors, so the same table covers both.
//! - RFC 4868 §2.7.2.1–§2.7.2.3: the IPsec authenticator vectors (keys of the full INTEG key
//!   length, ICV truncated to half the hash). §2.7.2.3 case 4 uses the corrected 64-octet key
//!   0x01..0x40 (the RFC text prints a wrong key; see the RFC errata — the output matches the
//!   corrected key, as also used by Galois' cryptol-specs).
//! - strongSwan `src/libstrongswan/tests/suites/test_prf_plus.c`: prf+ with HMAC-SHA-256,
//!   key 0x0b×20, seed "Hi There", read in chunks; and the 255-block counter limit.

use hex_literal::hex;
use ike_crypto::{CryptoError, IntegAlg, PrfAlg, PrfPlus};

const TC6_DATA: &[u8] = b"Test Using Larger Than Block-Size Key - Hash Key First";
const TC7_DATA: &[u8] = b"This is a test using a larger than block-size key and a larger than \
block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

/// (key, data, HMAC-SHA-256, HMAC-SHA-384, HMAC-SHA-512) of one RFC 4231 test case.
type Rfc4231Case = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// (INTEG algorithm, key, data, truncated ICV) of one RFC 4868 §2.7.2 test case.
type Rfc4868AuthCase = (IntegAlg, Vec<u8>, Vec<u8>, Vec<u8>);

fn rfc4231_cases() -> Vec<Rfc4231Case> {
    vec![
        // Test Case 1
        (
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            hex!("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7").to_vec(),
            hex!(
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                "faea9ea9076ede7f4af152e8b2fa9cb6"
            )
            .to_vec(),
            hex!(
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"
            )
            .to_vec(),
        ),
        // Test Case 2
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            hex!("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843").to_vec(),
            hex!(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                "8e2240ca5e69e2c78b3239ecfab21649"
            )
            .to_vec(),
            hex!(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
            .to_vec(),
        ),
        // Test Case 3
        (
            vec![0xaa; 20],
            vec![0xdd; 50],
            hex!("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe").to_vec(),
            hex!(
                "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
                "2a5ab39dc13814b94e3ab6e101a34f27"
            )
            .to_vec(),
            hex!(
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
                "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"
            )
            .to_vec(),
        ),
        // Test Case 4
        (
            (0x01..=0x19).collect(),
            vec![0xcd; 50],
            hex!("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b").to_vec(),
            hex!(
                "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
                "6801dd23c4a7d679ccf8a386c674cffb"
            )
            .to_vec(),
            hex!(
                "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
                "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"
            )
            .to_vec(),
        ),
        // Test Case 6 (key longer than the block size: hashed first)
        (
            vec![0xaa; 131],
            TC6_DATA.to_vec(),
            hex!("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54").to_vec(),
            hex!(
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
                "0c2ef6ab4030fe8296248df163f44952"
            )
            .to_vec(),
            hex!(
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"
            )
            .to_vec(),
        ),
        // Test Case 7 (long key and long data)
        (
            vec![0xaa; 131],
            TC7_DATA.to_vec(),
            hex!("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2").to_vec(),
            hex!(
                "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
                "a678cc31e799176d3860e6110c46523e"
            )
            .to_vec(),
            hex!(
                "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
                "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"
            )
            .to_vec(),
        ),
    ]
}

#[test]
fn rfc4231_and_rfc4868_2_7_1_prf_vectors() {
    for (i, (key, data, s256, s384, s512)) in rfc4231_cases().into_iter().enumerate() {
        assert_eq!(
            PrfAlg::HmacSha256.prf(&key, &[&data]).expose(),
            &s256[..],
            "case {i} SHA-256"
        );
        assert_eq!(
            PrfAlg::HmacSha384.prf(&key, &[&data]).expose(),
            &s384[..],
            "case {i} SHA-384"
        );
        assert_eq!(
            PrfAlg::HmacSha512.prf(&key, &[&data]).expose(),
            &s512[..],
            "case {i} SHA-512"
        );
    }
}

#[test]
fn prf_data_pieces_are_concatenated() {
    // Same as RFC 4231 TC 7, with the data cut at arbitrary points (including empty pieces).
    let (a, rest) = TC7_DATA.split_at(1);
    let (b, c) = rest.split_at(70);
    let out = PrfAlg::HmacSha256.prf(&[0xaa; 131], &[a, &[], b, c]);
    assert_eq!(
        out.expose(),
        hex!("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    );
}

fn rfc4868_auth_cases() -> Vec<Rfc4868AuthCase> {
    let jefe = |n: usize| b"Jefe".repeat(n / 4);
    let what = b"what do ya want for nothing?".to_vec();
    vec![
        // §2.7.2.1 HMAC-SHA-256-128
        (
            IntegAlg::HmacSha256_128,
            vec![0x0b; 32],
            b"Hi There".to_vec(),
            hex!("198a607eb44bfbc69903a0f1cf2bbdc5").to_vec(),
        ),
        (
            IntegAlg::HmacSha256_128,
            jefe(32),
            what.clone(),
            hex!("167f928588c5cc2eef8e3093caa0e87c").to_vec(),
        ),
        (
            IntegAlg::HmacSha256_128,
            vec![0xaa; 32],
            vec![0xdd; 50],
            hex!("cdcb1220d1ecccea91e53aba3092f962").to_vec(),
        ),
        (
            IntegAlg::HmacSha256_128,
            (0x01..=0x20).collect(),
            vec![0xcd; 50],
            hex!("372efcf9b40b35c2115b1346903d2ef4").to_vec(),
        ),
        // §2.7.2.2 HMAC-SHA-384-192
        (
            IntegAlg::HmacSha384_192,
            vec![0x0b; 48],
            b"Hi There".to_vec(),
            hex!("b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973").to_vec(),
        ),
        (
            IntegAlg::HmacSha384_192,
            jefe(48),
            what.clone(),
            hex!("2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d").to_vec(),
        ),
        (
            IntegAlg::HmacSha384_192,
            vec![0xaa; 48],
            vec![0xdd; 50],
            hex!("809f439be00274321d4a538652164b53554a508184a0c316").to_vec(),
        ),
        (
            IntegAlg::HmacSha384_192,
            (0x01..=0x20).chain(0x0a..=0x19).collect(),
            vec![0xcd; 50],
            hex!("5b540085c6e6358096532b2493609ed1cb298f774f87bb5c").to_vec(),
        ),
        // §2.7.2.3 HMAC-SHA-512-256
        (
            IntegAlg::HmacSha512_256,
            vec![0x0b; 64],
            b"Hi There".to_vec(),
            hex!("637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8").to_vec(),
        ),
        (
            IntegAlg::HmacSha512_256,
            jefe(64),
            what,
            hex!("cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454").to_vec(),
        ),
        (
            IntegAlg::HmacSha512_256,
            vec![0xaa; 64],
            vec![0xdd; 50],
            hex!("2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8").to_vec(),
        ),
        (
            IntegAlg::HmacSha512_256,
            (0x01..=0x40).collect(),
            vec![0xcd; 50],
            hex!("5e6688e5a3daec826ca32eaea224eff5e700628947470e13ad01302561bab108").to_vec(),
        ),
    ]
}

#[test]
fn rfc4868_2_7_2_authenticator_vectors() {
    for (i, (alg, key, data, icv)) in rfc4868_auth_cases().into_iter().enumerate() {
        assert_eq!(key.len(), alg.key_len(), "case {i}: key length");
        assert_eq!(alg.compute(&key, &data), icv, "case {i}: compute");
        assert!(alg.verify(&key, &data, &icv), "case {i}: verify");
    }
}

#[test]
fn rfc4868_2_7_2_full_outputs_are_the_untruncated_prf() {
    // The same vectors give the full HMAC as "PRF-HMAC-SHA-*" output in §2.7.2.
    let out = PrfAlg::HmacSha256.prf(&[0x0b; 32], &[b"Hi There"]);
    assert_eq!(
        out.expose(),
        hex!("198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7")
    );
    let out = PrfAlg::HmacSha384.prf(&[0x0b; 48], &[b"Hi There"]);
    assert_eq!(
        out.expose(),
        hex!(
            "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee9737a959796489bddbc"
            "4c5df61d5b3297b4fb68dab9f1b582c2"
        )
    );
}

#[test]
fn integ_verify_rejects_tampering_and_wrong_length() {
    let (alg, key, data, icv) = rfc4868_auth_cases().remove(0);
    let mut bad = icv.clone();
    bad[15] ^= 0x01;
    assert!(!alg.verify(&key, &data, &bad));
    assert!(!alg.verify(&key, &data, &icv[..15]));
    let mut long = icv.clone();
    long.push(0);
    assert!(!alg.verify(&key, &data, &long));
    assert!(!alg.verify(&key, b"Hi there", &icv));
    assert!(!alg.verify(&[0x0c; 32], &data, &icv));
}

/// strongSwan's chunked prf+ reads, HMAC-SHA-256, key 0x0b×20, seed "Hi There".
const STRONGSWAN_CHUNKS: [&[u8]; 9] = [
    &hex!("b9bdc0"),
    &hex!("8988b4c2b75a"),
    &hex!("a93e596ac84205"),
    &hex!("fa2ddde1bf7a2572067b00e14b237732"),
    &hex!("830509981ad2f94a"),
    &hex!("8c32a47daa2255b6"),
    &hex!("60c436347ae756a6edc023477d80"),
    &hex!("9590e682f61d9c04b06b4ad971a34c8147fa6679"),
    &hex!("2ff1434b93c722b32e12f48832ebc15ce2369ce71fe9b7b81e5704c14d0f5280a6ec626e992d7a9f"),
];

#[test]
fn strongswan_prf_plus_chunked_reads() {
    let mut stream = PrfPlus::new(PrfAlg::HmacSha256, &[0x0b; 20], &[b"Hi There"]);
    for (i, chunk) in STRONGSWAN_CHUNKS.iter().enumerate() {
        let got = stream.take(chunk.len()).expect("within 255 blocks");
        assert_eq!(got.expose(), *chunk, "chunk {i}");
    }
}

#[test]
fn strongswan_prf_plus_one_shot_equals_concatenated_chunks() {
    let whole: Vec<u8> = STRONGSWAN_CHUNKS.concat();
    let out = PrfAlg::HmacSha256
        .prf_plus(&[0x0b; 20], &[b"Hi ", b"There"], whole.len())
        .expect("within 255 blocks");
    assert_eq!(out.expose(), &whole[..]);
}

#[test]
fn strongswan_prf_plus_counter_wrap() {
    // 255 reads of 32 octets (= 255 SHA-256 blocks) succeed; the 256th block must fail,
    // because the counter octet would wrap (RFC 7296 §2.13).
    let mut stream = PrfPlus::new(PrfAlg::HmacSha256, &[0x0b; 20], &[b"Hi There"]);
    for i in 1..256 {
        assert!(stream.take(32).is_ok(), "read {i}");
    }
    assert_eq!(stream.take(32).unwrap_err(), CryptoError::PrfPlusTooLong);
    assert_eq!(stream.take(1).unwrap_err(), CryptoError::PrfPlusTooLong);
    assert!(stream.take(0).is_ok());
}

#[test]
fn prf_plus_length_limit_one_shot() {
    for prf in [PrfAlg::HmacSha256, PrfAlg::HmacSha384, PrfAlg::HmacSha512] {
        let max = 255 * prf.output_len();
        assert_eq!(prf.prf_plus(b"k", &[b"s"], max).expect("limit").len(), max);
        assert_eq!(
            prf.prf_plus(b"k", &[b"s"], max + 1).unwrap_err(),
            CryptoError::PrfPlusTooLong
        );
        assert!(prf.prf_plus(b"k", &[b"s"], 0).expect("empty").is_empty());
    }
}

#[test]
fn prf_plus_first_block_is_prf_of_seed_and_counter() {
    // T1 = prf(K, S | 0x01) — a structural check tying prf+ to the PRF KATs above.
    let t1 = PrfAlg::HmacSha384.prf(&[0x0b; 20], &[b"Hi There", &[1]]);
    let out = PrfAlg::HmacSha384
        .prf_plus(&[0x0b; 20], &[b"Hi There"], 48)
        .expect("one block");
    assert_eq!(out.expose(), t1.expose());
}
