//! Diffie-Hellman key exchange for the KE payload (RFC 7296 §1.2, §3.4).
//!
//! Groups and encodings (conformance §G.6):
//! - **Curve25519 (31)**, RFC 8031: KE data is the 32-octet X25519 public value; the shared
//!   secret is the 32-octet X25519 output. An all-zero output (a low-order peer point) is
//!   rejected (RFC 8031 §3, RFC 7748 §6.1). Non-canonical peer values and the top bit are
//!   handled by X25519 itself, which masks bit 255 (RFC 8031 §3.2).
//! - **ECP P-256 (19) / P-384 (20)**, RFC 5903 §7: KE data is `x ‖ y` (no `0x04` prefix); the
//!   shared secret is the x coordinate only. The peer point must lie on the curve (RFC 6989
//!   §2.3); aws-lc checks that when parsing.
//! - **MODP-2048 (14)**, RFC 3526: KE data and shared secret are 256 octets, big-endian,
//!   left-padded with zeros (RFC 7296 §2.14). The peer value must satisfy 1 < y < p−1
//!   (RFC 6989 §2.1).
//!
//! Private values come from the caller's RNG so that a seeded RNG makes whole exchanges
//! reproducible in simulated-network tests; nothing here reaches for OS randomness. A
//! [`KeyExchange`] is meant to be used for one exchange and dropped: with fresh private values
//! the extra small-subgroup tests of RFC 6989 §2.2 are unnecessary.

use core::fmt;
use std::sync::OnceLock;

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, PrivateKey, UnparsedPublicKey, X25519};
use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U2048};
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, DhAlg, SecretBytes};

/// The RFC 3526 §3 2048-bit MODP prime, p = 2^2048 − 2^1984 − 1 + 2^64 · (⌊2^1918 π⌋ + 124476).
/// The generator is 2.
const MODP2048_P: U2048 = U2048::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
));

/// Octets of a MODP-2048 value.
const MODP2048_LEN: usize = 256;

/// Random octets drawn for a generated MODP exponent.
///
/// RFC 3526 §8 asks for an exponent of at least twice the group's strength in bits; group 14 is
/// rated at 110–160 bits, so 256 random bits meets that with margin while keeping the
/// exponentiation ~8× cheaper than a full-size exponent.
const MODP2048_GENERATED_EXP_LEN: usize = 32;

/// Upper bound on attempts to draw a valid ECP scalar. One rejection has probability about
/// 2^-32 (P-256) or 2^-190 (P-384), so hitting the bound means the RNG is broken.
const MAX_SCALAR_ATTEMPTS: usize = 64;

/// Montgomery parameters for the MODP-2048 prime, computed once on first use.
fn modp_params() -> &'static DynResidueParams<{ U2048::LIMBS }> {
    static PARAMS: OnceLock<DynResidueParams<{ U2048::LIMBS }>> = OnceLock::new();
    PARAMS.get_or_init(|| DynResidueParams::new(&MODP2048_P))
}

/// A MODP private exponent with the bit bound used for exponentiation.
///
/// `bits` only reflects the encoded length (public: 256 for generated keys), never the value,
/// so `pow_bounded_exp` runs in time independent of the secret.
struct ModpPrivate {
    exponent: Zeroizing<U2048>,
    bits: usize,
}

impl ModpPrivate {
    fn pow(&self, base: &U2048) -> Zeroizing<[u8; MODP2048_LEN]> {
        let base = DynResidue::new(base, *modp_params());
        let mut residue = base.pow_bounded_exp(&*self.exponent, self.bits);
        let mut result = residue.retrieve();
        let bytes = Zeroizing::new(result.to_be_bytes());
        // g^ir (and g^x) intermediates: wipe the Montgomery form and the plain integer.
        residue.zeroize();
        result.zeroize();
        bytes
    }
}

enum Private {
    /// X25519, P-256 or P-384, held by aws-lc.
    Ec(PrivateKey),
    /// MODP-2048 exponent.
    Modp(Box<ModpPrivate>),
}

/// One side of a Diffie-Hellman exchange: the group, the private value and the KE data.
///
/// Create one per exchange with [`KeyExchange::generate`], send [`KeyExchange::public_key`] in
/// the KE payload, then feed the peer's KE data to [`KeyExchange::compute_shared`] to obtain
/// g^ir for SKEYSEED. `Debug` shows only the group.
pub struct KeyExchange {
    alg: DhAlg,
    private: Private,
    public: Vec<u8>,
}

impl fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyExchange")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn ec_algorithm(alg: DhAlg) -> Option<&'static agreement::Algorithm> {
    match alg {
        DhAlg::Curve25519 => Some(&X25519),
        DhAlg::Ecp256 => Some(&ECDH_P256),
        DhAlg::Ecp384 => Some(&ECDH_P384),
        DhAlg::Modp2048 => None,
    }
}

/// Length of an EC private key (scalar) for the group.
fn ec_private_len(alg: DhAlg) -> usize {
    match alg {
        DhAlg::Ecp384 => 48,
        _ => 32,
    }
}

impl KeyExchange {
    /// Draw a fresh private value for `alg` from `rng` and compute the public value.
    ///
    /// X25519 takes 32 random octets (clamped by X25519 itself, RFC 7748 §5). P-256/P-384 draw
    /// scalars by rejection sampling until aws-lc accepts one (1 ≤ d < n). MODP-2048 uses a
    /// 256-bit exponent (see the RFC 3526 §8 note on the constant). The same RNG state always
    /// yields the same key, which deterministic protocol tests rely on.
    pub fn generate(alg: DhAlg, rng: &mut dyn CryptoRngCore) -> Result<KeyExchange, CryptoError> {
        match alg {
            DhAlg::Curve25519 => {
                let mut buf = Zeroizing::new([0u8; 32]);
                rng.try_fill_bytes(&mut buf[..])
                    .map_err(|_| CryptoError::Rng)?;
                Self::from_private(alg, &buf[..])
            }
            DhAlg::Ecp256 | DhAlg::Ecp384 => {
                let mut buf = Zeroizing::new(vec![0u8; ec_private_len(alg)]);
                for _ in 0..MAX_SCALAR_ATTEMPTS {
                    rng.try_fill_bytes(&mut buf[..])
                        .map_err(|_| CryptoError::Rng)?;
                    match Self::from_private(alg, &buf) {
                        Ok(kx) => return Ok(kx),
                        // Zero or ≥ n: draw again (rejection sampling keeps the scalar uniform).
                        Err(CryptoError::InvalidKeyLength) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(CryptoError::Rng)
            }
            DhAlg::Modp2048 => {
                let mut buf = Zeroizing::new([0u8; MODP2048_GENERATED_EXP_LEN]);
                for _ in 0..MAX_SCALAR_ATTEMPTS {
                    rng.try_fill_bytes(&mut buf[..])
                        .map_err(|_| CryptoError::Rng)?;
                    match Self::from_private(alg, &buf[..]) {
                        Ok(kx) => return Ok(kx),
                        Err(CryptoError::InvalidKeyLength) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(CryptoError::Rng)
            }
        }
    }

    /// Build a key exchange from a known private value (known-answer tests, golden transcripts).
    ///
    /// Encodings: X25519 — 32 octets as in RFC 7748 (clamping applied by X25519); P-256/P-384 —
    /// the big-endian scalar, exactly 32/48 octets, 1 ≤ d < n; MODP-2048 — a big-endian exponent
    /// of 1..=256 octets with value ≥ 2. Anything else is [`CryptoError::InvalidKeyLength`].
    pub fn from_private(alg: DhAlg, private: &[u8]) -> Result<KeyExchange, CryptoError> {
        match ec_algorithm(alg) {
            Some(ec_alg) => {
                if private.len() != ec_private_len(alg) {
                    return Err(CryptoError::InvalidKeyLength);
                }
                let key = PrivateKey::from_private_key(ec_alg, private)
                    .map_err(|_| CryptoError::InvalidKeyLength)?;
                let public = key
                    .compute_public_key()
                    .map_err(|_| CryptoError::InvalidKeyLength)?;
                let public = match alg {
                    // aws-lc returns the SEC1 uncompressed point 0x04 ‖ x ‖ y; IKE omits 0x04.
                    DhAlg::Ecp256 | DhAlg::Ecp384 => public.as_ref().get(1..),
                    _ => Some(public.as_ref()),
                }
                .filter(|p| p.len() == alg.public_len())
                .ok_or(CryptoError::InvalidKeyLength)?
                .to_vec();
                Ok(KeyExchange {
                    alg,
                    private: Private::Ec(key),
                    public,
                })
            }
            None => Self::modp_from_private(private),
        }
    }

    fn modp_from_private(private: &[u8]) -> Result<KeyExchange, CryptoError> {
        if private.is_empty() || private.len() > MODP2048_LEN {
            return Err(CryptoError::InvalidKeyLength);
        }
        let mut padded = Zeroizing::new([0u8; MODP2048_LEN]);
        padded[MODP2048_LEN - private.len()..].copy_from_slice(private);
        let exponent = Zeroizing::new(U2048::from_be_slice(&padded[..]));
        // Exponents 0 and 1 would publish 1 or g; never a valid private value.
        if *exponent <= U2048::ONE {
            return Err(CryptoError::InvalidKeyLength);
        }
        let private = ModpPrivate {
            exponent,
            bits: private.len() * 8,
        };
        let public = private.pow(&U2048::from_u8(2)).to_vec();
        Ok(KeyExchange {
            alg: DhAlg::Modp2048,
            private: Private::Modp(Box::new(private)),
            public,
        })
    }

    /// The group of this exchange.
    pub fn alg(&self) -> DhAlg {
        self.alg
    }

    /// The Key Exchange Data to send in the KE payload ([`DhAlg::public_len`] octets).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Compute g^ir from the peer's KE data, after validating it.
    ///
    /// Errors: wrong length, a point off the curve, an X25519 result of all zeros, or a MODP
    /// value outside 1 < y < p−1 all give [`CryptoError::InvalidPublicKey`].
    pub fn compute_shared(&self, peer_public: &[u8]) -> Result<SecretBytes, CryptoError> {
        if peer_public.len() != self.alg.public_len() {
            return Err(CryptoError::InvalidPublicKey);
        }
        match &self.private {
            Private::Ec(key) => self.ec_shared(key, peer_public),
            Private::Modp(private) => modp_shared(private, peer_public),
        }
    }

    fn ec_shared(&self, key: &PrivateKey, peer_public: &[u8]) -> Result<SecretBytes, CryptoError> {
        let ec_alg = key.algorithm();
        let encoded: Vec<u8> = match self.alg {
            DhAlg::Ecp256 | DhAlg::Ecp384 => {
                let mut v = Vec::with_capacity(1 + peer_public.len());
                v.push(0x04);
                v.extend_from_slice(peer_public);
                v
            }
            _ => peer_public.to_vec(),
        };
        let shared = agreement::agree(
            key,
            UnparsedPublicKey::new(ec_alg, &encoded),
            CryptoError::InvalidPublicKey,
            |secret| Ok(SecretBytes::from_slice(secret)),
        )?;
        if shared.len() != self.alg.shared_len() {
            return Err(CryptoError::InvalidPublicKey);
        }
        if self.alg == DhAlg::Curve25519 {
            // A low-order peer point forces an all-zero result (RFC 7748 §6.1, RFC 8031 §3).
            let zero = [0u8; 32];
            if bool::from(shared.expose().ct_eq(&zero[..])) {
                return Err(CryptoError::InvalidPublicKey);
            }
        }
        Ok(shared)
    }
}

fn modp_shared(private: &ModpPrivate, peer_public: &[u8]) -> Result<SecretBytes, CryptoError> {
    // The caller checked the length, so from_be_slice cannot panic.
    let y = U2048::from_be_slice(peer_public);
    let p_minus_1 = MODP2048_P.wrapping_sub(&U2048::ONE);
    // RFC 6989 §2.1: 1 < y < p−1. The peer value is public, so plain comparisons are fine.
    if y <= U2048::ONE || y >= p_minus_1 {
        return Err(CryptoError::InvalidPublicKey);
    }
    let shared = private.pow(&y);
    Ok(SecretBytes::from_slice(&shared[..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_group() {
        let kx = KeyExchange::from_private(DhAlg::Curve25519, &[0x42; 32]).unwrap();
        let d = format!("{kx:?}");
        assert!(d.contains("Curve25519"));
        assert!(!d.contains("42"), "{d}");
    }

    #[test]
    fn modp_prime_is_a_fermat_probable_prime() {
        // 2^(p-1) ≡ 1 (mod p): a typo in the prime constant would break this.
        let exp = MODP2048_P.wrapping_sub(&U2048::ONE).to_be_bytes();
        let kx = KeyExchange::from_private(DhAlg::Modp2048, &exp).unwrap();
        let mut one = [0u8; 256];
        one[255] = 1;
        assert_eq!(kx.public_key(), &one[..]);
    }
}
