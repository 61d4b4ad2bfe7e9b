//! Known-answer and negative tests for `ike_crypto::dh` (conformance §G.6, §H.1).
//!
//! Sources: RFC 7748 §5.2 and §6.1 (X25519), RFC 8031 Appendix A (X25519 in IKEv2 encoding),
//! RFC 5903 §8.1 / §8.2 (groups 19 and 20 in IKEv2 encoding), RFC 3526 §3 (group 14 prime),
//! RFC 6989 §2.1 (MODP range checks), Wycheproof-style invalid points.

use hex_literal::hex;
use ike_crypto::dh::KeyExchange;
use ike_crypto::{CryptoError, DhAlg};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const ALL_GROUPS: [DhAlg; 4] = [
    DhAlg::Modp2048,
    DhAlg::Ecp256,
    DhAlg::Ecp384,
    DhAlg::Curve25519,
];

fn x25519(scalar: &[u8], u: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let kx = KeyExchange::from_private(DhAlg::Curve25519, scalar)?;
    kx.compute_shared(u).map(|s| s.expose().to_vec())
}

// ---------------------------------------------------------------------------------------------
// X25519 (group 31)
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc7748_5_2_single_step_vectors() {
    assert_eq!(
        x25519(
            &hex!("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            &hex!("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
        )
        .unwrap(),
        hex!("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    );
    // The second vector's u-coordinate has bit 255 set: it must be masked, not rejected
    // (RFC 7748 §5, RFC 8031 §3.2).
    assert_eq!(
        x25519(
            &hex!("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            &hex!("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
        )
        .unwrap(),
        hex!("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
    );
}

fn iterate_x25519(iterations: usize) -> Vec<u8> {
    let mut k = hex!("0900000000000000000000000000000000000000000000000000000000000000").to_vec();
    let mut u = k.clone();
    for _ in 0..iterations {
        let next = x25519(&k, &u).unwrap();
        u = core::mem::replace(&mut k, next);
    }
    k
}

#[test]
fn rfc7748_5_2_iterated_1_and_1000() {
    assert_eq!(
        iterate_x25519(1),
        hex!("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    );
    assert_eq!(
        iterate_x25519(1000),
        hex!("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    );
}

#[test]
#[ignore = "one million X25519 operations; run with --ignored"]
fn rfc7748_5_2_iterated_1_000_000() {
    assert_eq!(
        iterate_x25519(1_000_000),
        hex!("7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424")
    );
}

#[test]
fn rfc7748_6_1_alice_and_bob() {
    let alice = KeyExchange::from_private(
        DhAlg::Curve25519,
        &hex!("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
    )
    .unwrap();
    let bob = KeyExchange::from_private(
        DhAlg::Curve25519,
        &hex!("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
    )
    .unwrap();
    assert_eq!(
        alice.public_key(),
        hex!("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    );
    assert_eq!(
        bob.public_key(),
        hex!("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    );
    let k = hex!("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(alice.compute_shared(bob.public_key()).unwrap().expose(), k);
    assert_eq!(bob.compute_shared(alice.public_key()).unwrap().expose(), k);
}

#[test]
fn rfc8031_appendix_a_ikev2_encoding() {
    // random_i is used as drawn (unclamped); X25519 clamps it itself.
    let initiator = KeyExchange::from_private(
        DhAlg::Curve25519,
        &hex!("751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94"),
    )
    .unwrap();
    let pub_i = hex!("48d5ddd4061257ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766");
    let pub_r = hex!("0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25");
    let shared = hex!("c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950");
    assert_eq!(initiator.public_key(), pub_i);
    assert_eq!(initiator.public_key().len(), DhAlg::Curve25519.public_len());
    assert_eq!(initiator.compute_shared(&pub_r).unwrap().expose(), shared);
}

#[test]
fn x25519_low_order_points_are_rejected() {
    let kx = KeyExchange::from_private(DhAlg::Curve25519, &[0x42; 32]).unwrap();
    // u = 0 and u = 1: small order, all-zero output.
    assert_eq!(
        kx.compute_shared(&[0u8; 32]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(
        kx.compute_shared(&one).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    // A point of order 8 (listed among Wycheproof's x25519 low-order public keys).
    assert_eq!(
        kx.compute_shared(&hex!(
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"
        ))
        .unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    // p itself (non-canonical encoding of 0) also yields zero.
    assert_eq!(
        kx.compute_shared(&hex!(
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
        ))
        .unwrap_err(),
        CryptoError::InvalidPublicKey
    );
}

// ---------------------------------------------------------------------------------------------
// ECP groups 19 and 20
// ---------------------------------------------------------------------------------------------

struct EcpVector {
    alg: DhAlg,
    i: &'static [u8],
    gi: &'static [u8],
    r: &'static [u8],
    gr: &'static [u8],
    gir_x: &'static [u8],
}

fn check_ecp(v: &EcpVector) {
    let ini = KeyExchange::from_private(v.alg, v.i).unwrap();
    let res = KeyExchange::from_private(v.alg, v.r).unwrap();
    assert_eq!(ini.public_key(), v.gi, "{:?} g^i", v.alg);
    assert_eq!(res.public_key(), v.gr, "{:?} g^r", v.alg);
    assert_eq!(ini.compute_shared(v.gr).unwrap().expose(), v.gir_x);
    assert_eq!(res.compute_shared(v.gi).unwrap().expose(), v.gir_x);
    assert_eq!(ini.alg(), v.alg);
}

#[test]
fn rfc5903_8_1_group_19() {
    check_ecp(&EcpVector {
        alg: DhAlg::Ecp256,
        i: &hex!("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"),
        gi: &hex!(
            "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
            "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"
        ),
        r: &hex!("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53"),
        gr: &hex!(
            "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
            "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
        ),
        gir_x: &hex!("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"),
    });
}

#[test]
fn rfc5903_8_2_group_20() {
    check_ecp(&EcpVector {
        alg: DhAlg::Ecp384,
        i: &hex!(
            "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
            "E35B538041E649EE3FAEF896783AB194"
        ),
        gi: &hex!(
            "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6"
            "DE3AC808ACB4BDB4C88732AEE95F41AA"
            "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38E"
            "EB9FCFF3C2C947DAE69B4C634573A81C"
        ),
        r: &hex!(
            "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942"
            "E0308312916B8ED2960E4BD55A7448FC"
        ),
        gr: &hex!(
            "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
            "0D1AC43A0336DEF96FDA41D0774A3571"
            "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FF"
            "F83FA40142209DFF5EAAD96DB9E6386C"
        ),
        gir_x: &hex!(
            "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4"
            "D603135569B9E9D09CF5D4A270F59746"
        ),
    });
}

#[test]
fn ecp_invalid_points_are_rejected() {
    let p256 = KeyExchange::from_private(
        DhAlg::Ecp256,
        &hex!("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"),
    )
    .unwrap();
    let mut gr = hex!(
        "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
        "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
    );
    gr[63] ^= 1; // y off by one: not on the curve
    assert_eq!(
        p256.compute_shared(&gr).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    // All zeros: no affine point (the point at infinity has no x ‖ y encoding).
    assert_eq!(
        p256.compute_shared(&[0u8; 64]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    // Coordinates ≥ p: x = y = p (all-ones prefix), not a field element.
    assert_eq!(
        p256.compute_shared(&[0xff; 64]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    // The right point with a SEC1 0x04 prefix is the wrong length for IKE (65 ≠ 64).
    let mut prefixed = vec![0x04];
    prefixed.extend_from_slice(&hex!(
        "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
        "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
    ));
    assert_eq!(
        p256.compute_shared(&prefixed).unwrap_err(),
        CryptoError::InvalidPublicKey
    );

    let p384 = KeyExchange::from_private(DhAlg::Ecp384, &[0x01; 48]).unwrap();
    let mut pt = p384.public_key().to_vec();
    pt[95] ^= 0x80;
    assert_eq!(
        p384.compute_shared(&pt).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
}

#[test]
fn ecp_private_scalars_out_of_range_are_rejected() {
    let n256 = hex!("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    assert_eq!(
        KeyExchange::from_private(DhAlg::Ecp256, &[0u8; 32]).unwrap_err(),
        CryptoError::InvalidKeyLength
    );
    assert_eq!(
        KeyExchange::from_private(DhAlg::Ecp256, &n256).unwrap_err(),
        CryptoError::InvalidKeyLength
    );
    let mut n_minus_1 = n256;
    n_minus_1[31] -= 1;
    assert!(KeyExchange::from_private(DhAlg::Ecp256, &n_minus_1).is_ok());
    assert_eq!(
        KeyExchange::from_private(DhAlg::Ecp256, &[1u8; 31]).unwrap_err(),
        CryptoError::InvalidKeyLength
    );
    assert_eq!(
        KeyExchange::from_private(DhAlg::Ecp384, &[1u8; 32]).unwrap_err(),
        CryptoError::InvalidKeyLength
    );
    assert_eq!(
        KeyExchange::from_private(DhAlg::Curve25519, &[1u8; 33]).unwrap_err(),
        CryptoError::InvalidKeyLength
    );
}

// ---------------------------------------------------------------------------------------------
// MODP-2048 (group 14)
// ---------------------------------------------------------------------------------------------

const MODP_P: [u8; 256] = hex!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
);

/// Known answer computed independently with Python's built-in `pow(2, x, p)` /
/// `pow(g^r, x_i, p)` over the RFC 3526 §3 prime (not from any RFC).
#[test]
fn modp2048_known_answer() {
    let xi = hex!("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    let xr = hex!("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    let gi = hex!(
        "5b1b6bf112c0d219425318f2cb2eed310f5635e0ee8b2f571a17d00b3b0aec22"
        "d41a5503b0dfd4e9dede20e70accbbbbf749fb34fb223ee9c1fde6873167c1c5"
        "269bc2dcfb126f09a9446c6cc219c2c60b1ff80f2e1c9c039cc6d9c98e16c95c"
        "52a918e6bcf15fb5ed33f1283e2e515d17f8608e30f4e95329695517c9e79965"
        "64a56ee4d4c95c315dfe1603f32f4dea84ab123ca74067ae0fbde731e7e5d1c1"
        "d66f7d53c6a714c613313c5f8456d7d67152836064c118519e6f23c13f818afc"
        "01fde71d984851ceede74173e39bd5b074b0dd661b9cfc808d4b80e033b1a9f8"
        "20b8442e7518aefc57ac780468eccba285534e2ab07564a2d8548be68a38c0dd"
    );
    let gr = hex!(
        "d5a667bbd1c5e56c22b522e910edd88a588c7cc97ad1ae6802720bfed56d253b"
        "8ea0a2a847460996f13eae7d188e0689170f21f6c6f254379a56a1e079d76f32"
        "8131e163a7c40a172ad717b97daf3dfd91affd2996b80ad2f440bb3a95a60133"
        "f04a6981c69bad261fd7da5913b5a066e228218c399b3ce8cfdab153c2d85dbd"
        "f1ca6b238b01247dc63e03916201516cb12825c193c7e5fe3acf7f3fb1aac606"
        "792a18565687080698124150ae949c003763dc7f2cf0e9489a7bd51e30f67213"
        "10a8d2f51530e1a8765b8bfe6a53ca4b4c89733ff8994be8514fb88837d1172a"
        "8e335022508c0b8bc545e05d7b8d3c2c842b6e9e7980416cd3070657d8b599ec"
    );
    let shared = hex!(
        "c886b23324269fa55a926b213c21c8d70dfffe65c0b1071e8501f83cc83260b7"
        "87d3481417de697ca35b60d832e25dc95103b26776e4e98f37c67cf6acc5960c"
        "79eb280baddae001dd7664f867facca7ecf88f50053c0897d19f6c6c65aeb2a6"
        "1de05f3cd4ec6c57d33c6d355511b715f9f1c7cb44ec4a36d60edc9d324ede69"
        "489a39184a00f25ec3e566a5a7dde927cad11369a25096823ff0a4aaa42485d4"
        "a8eeae35d084046e6786627bfa126425efaee9b83ce2b9b02197f87059b98b3c"
        "e9bd0f123909ec04d74fea2499a70eb0031ca5a4de2401ee0936f1f44762a75c"
        "7616840ec154c81b0a89a964ab5a1244d4310e78c3751bf006a9d998ea7d5141"
    );
    let ini = KeyExchange::from_private(DhAlg::Modp2048, &xi).unwrap();
    let res = KeyExchange::from_private(DhAlg::Modp2048, &xr).unwrap();
    assert_eq!(ini.public_key(), gi);
    assert_eq!(res.public_key(), gr);
    assert_eq!(ini.compute_shared(&gr).unwrap().expose(), shared);
    assert_eq!(res.compute_shared(&gi).unwrap().expose(), shared);
}

#[test]
fn modp2048_small_values_are_left_padded() {
    // x = 8: g^x = 256, which must be sent as 256 octets ending in 01 00.
    let kx = KeyExchange::from_private(DhAlg::Modp2048, &[8]).unwrap();
    let mut want = [0u8; 256];
    want[254] = 1;
    assert_eq!(kx.public_key(), want);
    // A shared secret with leading zero octets keeps its full 256-octet length.
    let mut y = [0u8; 256];
    y[255] = 2;
    assert_eq!(kx.compute_shared(&y).unwrap().expose(), want);
}

#[test]
fn modp2048_rfc6989_range_checks() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let kx = KeyExchange::generate(DhAlg::Modp2048, &mut rng).unwrap();
    let int = |v: u8| {
        let mut b = [0u8; 256];
        b[255] = v;
        b
    };
    let mut p_minus_1 = MODP_P;
    p_minus_1[255] -= 1;
    for bad in [int(0), int(1), p_minus_1, MODP_P, [0xff; 256]] {
        assert_eq!(
            kx.compute_shared(&bad).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
    }
    // Boundary values that must be accepted: 2 and p − 2.
    let mut p_minus_2 = MODP_P;
    p_minus_2[255] -= 2;
    assert!(kx.compute_shared(&int(2)).is_ok());
    assert!(kx.compute_shared(&p_minus_2).is_ok());
    // Wrong lengths: a value not left-padded to 256 octets, and one octet too many.
    assert_eq!(
        kx.compute_shared(&[2u8]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    assert_eq!(
        kx.compute_shared(&[0u8; 255]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    assert_eq!(
        kx.compute_shared(&[0u8; 257]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
}

#[test]
fn modp2048_private_exponent_bounds() {
    for bad in [
        &[][..],
        &[0u8][..],
        &[1u8][..],
        &[0u8; 32][..],
        &[1u8; 257][..],
    ] {
        assert_eq!(
            KeyExchange::from_private(DhAlg::Modp2048, bad).unwrap_err(),
            CryptoError::InvalidKeyLength
        );
    }
}

// ---------------------------------------------------------------------------------------------
// All groups
// ---------------------------------------------------------------------------------------------

#[test]
fn generated_keys_agree_for_every_group() {
    let mut rng = ChaCha20Rng::seed_from_u64(7296);
    for alg in ALL_GROUPS {
        let a = KeyExchange::generate(alg, &mut rng).unwrap();
        let b = KeyExchange::generate(alg, &mut rng).unwrap();
        assert_eq!(a.public_key().len(), alg.public_len(), "{alg:?}");
        assert_ne!(a.public_key(), b.public_key(), "{alg:?}");
        let s1 = a.compute_shared(b.public_key()).unwrap();
        let s2 = b.compute_shared(a.public_key()).unwrap();
        assert_eq!(s1.expose(), s2.expose(), "{alg:?}");
        assert_eq!(s1.len(), alg.shared_len(), "{alg:?}");
    }
}

#[test]
fn generation_is_deterministic_under_a_seeded_rng() {
    for alg in ALL_GROUPS {
        let a = KeyExchange::generate(alg, &mut ChaCha20Rng::seed_from_u64(42)).unwrap();
        let b = KeyExchange::generate(alg, &mut ChaCha20Rng::seed_from_u64(42)).unwrap();
        let c = KeyExchange::generate(alg, &mut ChaCha20Rng::seed_from_u64(43)).unwrap();
        assert_eq!(a.public_key(), b.public_key(), "{alg:?}");
        assert_ne!(a.public_key(), c.public_key(), "{alg:?}");
    }
}

#[test]
fn wrong_length_peer_values_are_rejected_for_every_group() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for alg in ALL_GROUPS {
        let kx = KeyExchange::generate(alg, &mut rng).unwrap();
        let good = kx.public_key().to_vec();
        for len in [0, 1, good.len() - 1, good.len() + 1] {
            let mut v = good.clone();
            v.resize(len, 0x55);
            assert_eq!(
                kx.compute_shared(&v).unwrap_err(),
                CryptoError::InvalidPublicKey,
                "{alg:?} len {len}"
            );
        }
    }
}
