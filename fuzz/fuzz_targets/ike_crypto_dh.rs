//! `KeyExchange::compute_shared` on arbitrary peer KE data for each group, from a fixed
//! local private value; and the same bytes as a remote private value, when accepted, must
//! agree with the local side both ways.
//!
//! Never panics. A rejected peer value is `InvalidPublicKey`, nothing else; an accepted one
//! has exactly the group's public length and gives a secret of the group's shared length,
//! deterministically (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §3, RFC 6989 §2.1).
//!
//! Input: `group selector (1) ‖ bytes`; the selector picks MODP-2048, P-256, P-384 or
//! Curve25519 (modulo 4).

#![no_main]

use ike_crypto::dh::KeyExchange;
use ike_crypto::{CryptoError, DhAlg};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_fuzz::fixtures::{DH_GROUPS, dh_private, group_index};

/// Largest MODP exponent tried as a remote private value: the 256 bits `generate` draws.
/// Longer exponents can be multiples of the subgroup order q and publish 1, which the peer
/// check rightly refuses; that is not a DH asymmetry.
const MODP_PRIVATE_MAX: usize = 32;

/// The local side of each group, built once: its MODP exponentiation would otherwise cost a
/// third of every MODP input's time.
fn local(index: usize) -> &'static KeyExchange {
    static LOCAL: OnceLock<Vec<KeyExchange>> = OnceLock::new();
    &LOCAL.get_or_init(|| {
        DH_GROUPS
            .iter()
            .map(|&alg| KeyExchange::from_private(alg, dh_private(alg)).expect("fixture private"))
            .collect()
    })[index]
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let index = group_index(selector);
    let alg = DH_GROUPS[index];
    let local = local(index);
    assert_eq!(local.alg(), alg);

    match local.compute_shared(bytes) {
        Ok(shared) => {
            assert_eq!(bytes.len(), alg.public_len());
            assert_eq!(shared.expose().len(), alg.shared_len());
            assert!(
                shared.expose().iter().any(|&b| b != 0),
                "all-zero shared secret"
            );
            let again = local
                .compute_shared(bytes)
                .expect("deterministic acceptance");
            assert_eq!(again.expose(), shared.expose());
        }
        Err(e) => assert_eq!(e, CryptoError::InvalidPublicKey),
    }

    let private_len = match alg {
        DhAlg::Modp2048 => bytes.len().min(MODP_PRIVATE_MAX),
        DhAlg::Ecp384 => 48,
        DhAlg::Ecp256 | DhAlg::Curve25519 => 32,
    };
    let Some(private) = bytes.get(..private_len) else {
        return;
    };
    match KeyExchange::from_private(alg, private) {
        Ok(remote) => {
            assert_eq!(remote.public_key().len(), alg.public_len());
            let a = local
                .compute_shared(remote.public_key())
                .expect("a computed public value must be accepted");
            let b = remote
                .compute_shared(local.public_key())
                .expect("our public value must be accepted");
            assert_eq!(a.expose(), b.expose(), "DH disagrees");
        }
        Err(e) => assert_eq!(e, CryptoError::InvalidKeyLength),
    }
});
