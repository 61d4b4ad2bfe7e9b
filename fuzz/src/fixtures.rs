//! Fixed keys and headers the targets and the seed generator agree on.
//!
//! The keys are constants on purpose: a fuzz input must decide everything that matters, so
//! the same input always takes the same path (libFuzzer minimisation and regressions rely on
//! it), and seeds sealed here open in the targets.

use hex_literal::hex;
use ike_crypto::sk::SkKeys;
use ike_crypto::{DhAlg, EncrAlg, IntegAlg};

/// The five SK suites Tessera implements: (ENCR, INTEG). An input byte selects one with
/// [`suite_index`].
pub const SUITES: [(EncrAlg, Option<IntegAlg>); 5] = [
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha512_256)),
    (EncrAlg::AesGcm16_128, None),
    (EncrAlg::AesGcm16_256, None),
    (EncrAlg::ChaCha20Poly1305, None),
];

/// Index of the ChaCha20-Poly1305 suite, whose SK_e is the RFC 7634 App. B key so that the
/// RFC's message is a valid `sk_open` seed.
pub const CHACHA_SUITE: usize = 4;

/// RFC 7634 Appendix B SK_e: key ‖ salt.
pub const RFC7634_SK_E: [u8; 36] = hex!(
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" // key
    "a0a1a2a3" // salt
);

/// Map an input byte to a suite index (0..5).
pub fn suite_index(selector: u8) -> usize {
    usize::from(selector) % SUITES.len()
}

/// The fixed SK keys of suite `index` (taken modulo 5).
pub fn sk_keys(index: usize) -> SkKeys {
    let (encr, integ) = SUITES[index % SUITES.len()];
    let seed = u8::try_from(index % SUITES.len()).unwrap_or(0);
    let sk_e: Vec<u8> = if encr == EncrAlg::ChaCha20Poly1305 {
        RFC7634_SK_E.to_vec()
    } else {
        (0..encr.key_material_len())
            .map(|i| seed.wrapping_mul(0x21).wrapping_add(i as u8))
            .collect()
    };
    let sk_a: Vec<u8> = (0..integ.map_or(0, IntegAlg::key_len))
        .map(|i| seed ^ 0x5a ^ i as u8)
        .collect();
    match SkKeys::new(encr, integ, &sk_e, &sk_a) {
        Ok(keys) => keys,
        // Lengths come from the algorithms themselves; failing here is a fixture bug.
        Err(e) => panic!("fixture keys for suite {index}: {e}"),
    }
}

/// Octets of ICV/tag that suite `index` appends.
pub fn icv_len(index: usize) -> usize {
    let (encr, integ) = SUITES[index % SUITES.len()];
    integ.map_or(encr.icv_len(), IntegAlg::icv_len)
}

/// The DH groups Tessera implements. An input byte selects one with [`group_index`].
pub const DH_GROUPS: [DhAlg; 4] = [
    DhAlg::Modp2048,
    DhAlg::Ecp256,
    DhAlg::Ecp384,
    DhAlg::Curve25519,
];

/// Map an input byte to a group index (0..4).
pub fn group_index(selector: u8) -> usize {
    usize::from(selector) % DH_GROUPS.len()
}

/// RFC 5903 §8.1 initiator private value i (group 19).
const P256_I: [u8; 32] = hex!("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433");
/// RFC 5903 §8.2 initiator private value i (group 20).
const P384_I: [u8; 48] = hex!(
    "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
    "E35B538041E649EE3FAEF896783AB194"
);
/// RFC 8031 Appendix A random_i (group 31).
const X25519_I: [u8; 32] = hex!("751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94");
/// A fixed 256-bit MODP-2048 exponent (the size `KeyExchange::generate` draws).
const MODP_I: [u8; 32] = hex!("0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0");

/// The fixed local private value for `alg`.
pub fn dh_private(alg: DhAlg) -> &'static [u8] {
    match alg {
        DhAlg::Modp2048 => &MODP_I,
        DhAlg::Ecp256 => &P256_I,
        DhAlg::Ecp384 => &P384_I,
        DhAlg::Curve25519 => &X25519_I,
    }
}

/// RFC 5903 §8.1 responder public value g^r (group 19, x ‖ y).
pub const P256_GR: [u8; 64] = hex!(
    "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
    "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
);
/// RFC 5903 §8.2 responder public value g^r (group 20, x ‖ y).
pub const P384_GR: [u8; 96] = hex!(
    "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
    "0D1AC43A0336DEF96FDA41D0774A3571"
    "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FF"
    "F83FA40142209DFF5EAAD96DB9E6386C"
);
/// RFC 8031 Appendix A responder public value (group 31).
pub const X25519_GR: [u8; 32] =
    hex!("0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25");

/// Length of the IKE header (RFC 7296 §3.1).
pub const IKE_HEADER_LEN: usize = 28;

/// An IKE_AUTH request header (SPIs fixed, I flag, MID 1) whose Next Payload is `next`; the
/// Length field is left 0 for `sk::seal` to patch.
pub fn ike_auth_header(next: u8) -> [u8; IKE_HEADER_LEN] {
    let mut h = hex!("0102030405060708 1112131415161718 00 20 23 08 00000001 00000000");
    h[16] = next;
    h
}
