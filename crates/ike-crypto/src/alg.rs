//! Algorithm identifiers for the transforms Tessera implements, and their sizes.
//!
//! These enums are *closed*: only what this crate can compute is representable. The lossless
//! wire codepoints (with `Unknown(n)`) live in `ike_wire`; `from_wire` returns `None` for
//! anything we do not implement, which is how the SA-payload negotiation skips such transforms.
//!
//! Sizes follow RFC 7296 §3.3.2–3.3.5, RFC 3602 (AES-CBC), RFC 5282 (AES-GCM in IKEv2),
//! RFC 7634 (ChaCha20-Poly1305), RFC 4868 (HMAC-SHA-2) and RFC 5903 / 3526 / 8031 (groups).

use crate::CryptoError;

/// IANA transform ID of ENCR_AES_CBC (RFC 7296 §3.3.2).
const ENCR_AES_CBC: u16 = 12;
/// IANA transform ID of ENCR_AES_GCM_16 (RFC 5282 §7.1).
const ENCR_AES_GCM_16: u16 = 20;
/// IANA transform ID of ENCR_CHACHA20_POLY1305 (RFC 7634 §4).
const ENCR_CHACHA20_POLY1305: u16 = 28;

/// A pseudorandom function (transform type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrfAlg {
    /// PRF_HMAC_SHA2_256 (5), RFC 4868.
    HmacSha256,
    /// PRF_HMAC_SHA2_384 (6), RFC 4868.
    HmacSha384,
    /// PRF_HMAC_SHA2_512 (7), RFC 4868.
    HmacSha512,
}

impl PrfAlg {
    /// Map an IANA PRF transform ID to the algorithm, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            5 => Some(Self::HmacSha256),
            6 => Some(Self::HmacSha384),
            7 => Some(Self::HmacSha512),
            _ => None,
        }
    }

    /// Convert a negotiated wire codepoint; `None` if we do not implement it.
    pub fn from_wire(id: ike_wire::PrfId) -> Option<Self> {
        Self::from_id(u16::from(id))
    }

    /// The wire codepoint to put in a PRF transform.
    pub fn to_wire(self) -> ike_wire::PrfId {
        ike_wire::PrfId::from(self.id())
    }

    /// The IANA PRF transform ID.
    pub fn id(self) -> u16 {
        match self {
            Self::HmacSha256 => 5,
            Self::HmacSha384 => 6,
            Self::HmacSha512 => 7,
        }
    }

    /// Preferred key length in octets: the length of SK_d, SK_pi and SK_pr (RFC 7296 §2.13,
    /// RFC 4868 §2.4 — equal to the output length for HMAC-SHA-2).
    pub fn key_len(self) -> usize {
        self.output_len()
    }

    /// Output length in octets (32 / 48 / 64; not truncated when used as a PRF).
    pub fn output_len(self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }
}

/// An encryption algorithm (transform type 1) together with its key length.
///
/// Only 128- and 256-bit AES are offered: 192-bit AES-GCM is NOT RECOMMENDED (RFC 8247) and
/// 192-bit AES-CBC is not required anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncrAlg {
    /// ENCR_AES_CBC (12) with Key Length 128.
    AesCbc128,
    /// ENCR_AES_CBC (12) with Key Length 256.
    AesCbc256,
    /// ENCR_AES_GCM_16 (20) with Key Length 128: 16-octet key + 4-octet salt.
    AesGcm16_128,
    /// ENCR_AES_GCM_16 (20) with Key Length 256: 32-octet key + 4-octet salt.
    AesGcm16_256,
    /// ENCR_CHACHA20_POLY1305 (28): 32-octet key + 4-octet salt, no Key Length attribute.
    ChaCha20Poly1305,
}

impl EncrAlg {
    /// Map an IANA ENCR transform ID plus the Key Length attribute (bits) to the algorithm.
    ///
    /// AES requires the attribute (RFC 7296 §3.3.5 / RFC 5282 §7.1); ChaCha20-Poly1305 must not
    /// carry one (RFC 7634 §4), so a present attribute makes it unacceptable.
    pub fn from_id(id: u16, key_bits: Option<u16>) -> Option<Self> {
        match (id, key_bits) {
            (ENCR_AES_CBC, Some(128)) => Some(Self::AesCbc128),
            (ENCR_AES_CBC, Some(256)) => Some(Self::AesCbc256),
            (ENCR_AES_GCM_16, Some(128)) => Some(Self::AesGcm16_128),
            (ENCR_AES_GCM_16, Some(256)) => Some(Self::AesGcm16_256),
            (ENCR_CHACHA20_POLY1305, None) => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// Convert a wire codepoint plus its Key Length attribute; `None` if we do not implement
    /// the combination (see [`EncrAlg::from_id`]).
    pub fn from_wire(id: ike_wire::EncrId, key_bits: Option<u16>) -> Option<Self> {
        Self::from_id(u16::from(id), key_bits)
    }

    /// The wire codepoint to put in an ENCR transform (send [`EncrAlg::key_bits_attr`] with it).
    pub fn wire_id(self) -> ike_wire::EncrId {
        ike_wire::EncrId::from(self.id())
    }

    /// The IANA ENCR transform ID.
    pub fn id(self) -> u16 {
        match self {
            Self::AesCbc128 | Self::AesCbc256 => ENCR_AES_CBC,
            Self::AesGcm16_128 | Self::AesGcm16_256 => ENCR_AES_GCM_16,
            Self::ChaCha20Poly1305 => ENCR_CHACHA20_POLY1305,
        }
    }

    /// The Key Length attribute value to send (bits), or `None` for fixed-key ChaCha20.
    pub fn key_bits_attr(self) -> Option<u16> {
        match self {
            Self::AesCbc128 | Self::AesGcm16_128 => Some(128),
            Self::AesCbc256 | Self::AesGcm16_256 => Some(256),
            Self::ChaCha20Poly1305 => None,
        }
    }

    /// True for combined-mode ciphers, which need no INTEG transform (RFC 5282, RFC 7634).
    pub fn is_aead(self) -> bool {
        !matches!(self, Self::AesCbc128 | Self::AesCbc256)
    }

    /// Length of the cipher key proper, without any salt.
    pub fn key_len(self) -> usize {
        match self {
            Self::AesCbc128 | Self::AesGcm16_128 => 16,
            Self::AesCbc256 | Self::AesGcm16_256 | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of the salt appended to the key in the key material (4 for AEAD, 0 for CBC);
    /// RFC 5282 §7.1, RFC 7634 §2, RFC 4106 §8.1.
    pub fn salt_len(self) -> usize {
        if self.is_aead() { 4 } else { 0 }
    }

    /// Octets of key material taken from prf+ for SK_ei/SK_er (or an ESP encryption key):
    /// key plus salt, i.e. 16/32 for CBC, 20/36 for GCM and 36 for ChaCha20-Poly1305.
    pub fn key_material_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Length of the explicit IV carried in each message: 16 for CBC (one block), 8 for AEAD.
    pub fn iv_len(self) -> usize {
        if self.is_aead() { 8 } else { 16 }
    }

    /// Alignment the plaintext plus padding must reach: 16 for CBC; 1 for the AEAD ciphers,
    /// which have no alignment requirement (RFC 5282 §3, RFC 7634 §3).
    pub fn block_len(self) -> usize {
        if self.is_aead() { 1 } else { 16 }
    }

    /// Length of the integrity check value the cipher itself appends: 16 for AEAD tags, 0 for
    /// CBC (whose ICV comes from the INTEG transform).
    pub fn icv_len(self) -> usize {
        if self.is_aead() { 16 } else { 0 }
    }
}

/// An integrity algorithm (transform type 3), HMAC-SHA-2 truncated per RFC 4868.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegAlg {
    /// AUTH_HMAC_SHA2_256_128 (12).
    HmacSha256_128,
    /// AUTH_HMAC_SHA2_384_192 (13).
    HmacSha384_192,
    /// AUTH_HMAC_SHA2_512_256 (14).
    HmacSha512_256,
}

impl IntegAlg {
    /// Map an IANA INTEG transform ID to the algorithm, if we implement it. NONE (0) maps to
    /// `None`; the caller treats it as "no INTEG" for AEAD proposals.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            12 => Some(Self::HmacSha256_128),
            13 => Some(Self::HmacSha384_192),
            14 => Some(Self::HmacSha512_256),
            _ => None,
        }
    }

    /// Convert a wire codepoint; `None` for NONE and for anything we do not implement.
    pub fn from_wire(id: ike_wire::IntegId) -> Option<Self> {
        Self::from_id(u16::from(id))
    }

    /// The wire codepoint to put in an INTEG transform.
    pub fn to_wire(self) -> ike_wire::IntegId {
        ike_wire::IntegId::from(self.id())
    }

    /// The IANA INTEG transform ID.
    pub fn id(self) -> u16 {
        match self {
            Self::HmacSha256_128 => 12,
            Self::HmacSha384_192 => 13,
            Self::HmacSha512_256 => 14,
        }
    }

    /// Key length in octets (SK_ai / SK_ar): 32 / 48 / 64 (RFC 4868 §2.1.1).
    pub fn key_len(self) -> usize {
        match self {
            Self::HmacSha256_128 => 32,
            Self::HmacSha384_192 => 48,
            Self::HmacSha512_256 => 64,
        }
    }

    /// Truncated ICV length in octets: 16 / 24 / 32 (RFC 4868 §2.3).
    pub fn icv_len(self) -> usize {
        match self {
            Self::HmacSha256_128 => 16,
            Self::HmacSha384_192 => 24,
            Self::HmacSha512_256 => 32,
        }
    }
}

/// A Diffie-Hellman group (transform type 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhAlg {
    /// 2048-bit MODP group (14), RFC 3526.
    Modp2048,
    /// 256-bit random ECP group, P-256 (19), RFC 5903.
    Ecp256,
    /// 384-bit random ECP group, P-384 (20), RFC 5903.
    Ecp384,
    /// Curve25519 (31), RFC 8031.
    Curve25519,
}

impl DhAlg {
    /// Map an IANA DH group number to the group, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            14 => Some(Self::Modp2048),
            19 => Some(Self::Ecp256),
            20 => Some(Self::Ecp384),
            31 => Some(Self::Curve25519),
            _ => None,
        }
    }

    /// Convert a wire group number; `None` if we do not implement the group.
    pub fn from_wire(g: ike_wire::DhGroup) -> Option<Self> {
        Self::from_id(u16::from(g))
    }

    /// The wire group number (DH transform ID and KE payload group field).
    pub fn to_wire(self) -> ike_wire::DhGroup {
        ike_wire::DhGroup::from(self.id())
    }

    /// The IANA DH group number.
    pub fn id(self) -> u16 {
        match self {
            Self::Modp2048 => 14,
            Self::Ecp256 => 19,
            Self::Ecp384 => 20,
            Self::Curve25519 => 31,
        }
    }

    /// Length of the KE payload's Key Exchange Data: 256, 64 (x ‖ y), 96 (x ‖ y), 32.
    pub fn public_len(self) -> usize {
        match self {
            Self::Modp2048 => 256,
            Self::Ecp256 => 64,
            Self::Ecp384 => 96,
            Self::Curve25519 => 32,
        }
    }

    /// Length of the shared secret g^ir: 256 (zero-padded), 32 (x only), 48 (x only), 32.
    pub fn shared_len(self) -> usize {
        match self {
            Self::Modp2048 => 256,
            Self::Ecp256 | Self::Curve25519 => 32,
            Self::Ecp384 => 48,
        }
    }
}

/// The IKE SA suite negotiated in the SA payload (or restored from a resumption ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeSuite {
    /// Encryption of the SK payload.
    pub encr: EncrAlg,
    /// PRF for SKEYSEED, prf+, AUTH.
    pub prf: PrfAlg,
    /// Integrity algorithm; `None` iff `encr` is AEAD (RFC 7296 §3.3, RFC 5282 §8).
    pub integ: Option<IntegAlg>,
    /// Diffie-Hellman group of the KE payload.
    pub dh: DhAlg,
}

impl IkeSuite {
    /// Check the AEAD/INTEG pairing rule: an AEAD cipher has no INTEG, any other cipher has one.
    pub fn validate(&self) -> Result<(), CryptoError> {
        if self.encr.is_aead() == self.integ.is_none() {
            Ok(())
        } else {
            Err(CryptoError::Malformed(
                "INTEG must be absent iff ENCR is AEAD",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips() {
        for p in [PrfAlg::HmacSha256, PrfAlg::HmacSha384, PrfAlg::HmacSha512] {
            assert_eq!(PrfAlg::from_id(p.id()), Some(p));
            assert_eq!(PrfAlg::from_wire(p.to_wire()), Some(p));
        }
        for e in [
            EncrAlg::AesCbc128,
            EncrAlg::AesCbc256,
            EncrAlg::AesGcm16_128,
            EncrAlg::AesGcm16_256,
            EncrAlg::ChaCha20Poly1305,
        ] {
            assert_eq!(EncrAlg::from_id(e.id(), e.key_bits_attr()), Some(e));
            assert_eq!(EncrAlg::from_wire(e.wire_id(), e.key_bits_attr()), Some(e));
            assert_eq!(e.wire_id().is_aead(), e.is_aead());
        }
        for i in [
            IntegAlg::HmacSha256_128,
            IntegAlg::HmacSha384_192,
            IntegAlg::HmacSha512_256,
        ] {
            assert_eq!(IntegAlg::from_id(i.id()), Some(i));
            assert_eq!(IntegAlg::from_wire(i.to_wire()), Some(i));
        }
        for d in [
            DhAlg::Modp2048,
            DhAlg::Ecp256,
            DhAlg::Ecp384,
            DhAlg::Curve25519,
        ] {
            assert_eq!(DhAlg::from_id(d.id()), Some(d));
            assert_eq!(DhAlg::from_wire(d.to_wire()), Some(d));
        }
    }

    #[test]
    fn unknown_or_misattributed_ids_are_rejected() {
        assert_eq!(PrfAlg::from_id(2), None); // PRF_HMAC_SHA1: not implemented
        assert_eq!(PrfAlg::from_wire(ike_wire::PrfId::HmacSha1), None);
        assert_eq!(PrfAlg::HmacSha256.to_wire(), ike_wire::PrfId::HmacSha2_256);
        assert_eq!(EncrAlg::AesGcm16_256.wire_id(), ike_wire::EncrId::AesGcm16);
        assert_eq!(
            IntegAlg::HmacSha512_256.to_wire(),
            ike_wire::IntegId::HmacSha2_512_256
        );
        assert_eq!(DhAlg::Curve25519.to_wire(), ike_wire::DhGroup::Curve25519);
        assert_eq!(IntegAlg::from_wire(ike_wire::IntegId::None), None);
        assert_eq!(EncrAlg::from_id(12, None), None); // AES-CBC needs Key Length
        assert_eq!(EncrAlg::from_id(12, Some(192)), None);
        assert_eq!(EncrAlg::from_id(28, Some(256)), None); // ChaCha must not carry one
        assert_eq!(IntegAlg::from_id(0), None);
        assert_eq!(DhAlg::from_id(2), None);
    }

    #[test]
    fn sizes_match_the_rfcs() {
        assert_eq!(EncrAlg::AesCbc128.key_material_len(), 16);
        assert_eq!(EncrAlg::AesCbc256.key_material_len(), 32);
        assert_eq!(EncrAlg::AesGcm16_128.key_material_len(), 20);
        assert_eq!(EncrAlg::AesGcm16_256.key_material_len(), 36);
        assert_eq!(EncrAlg::ChaCha20Poly1305.key_material_len(), 36);
        assert_eq!(EncrAlg::AesCbc256.iv_len(), 16);
        assert_eq!(EncrAlg::AesGcm16_256.iv_len(), 8);
        assert_eq!(EncrAlg::ChaCha20Poly1305.icv_len(), 16);
        assert_eq!(EncrAlg::AesCbc128.icv_len(), 0);
        assert_eq!(EncrAlg::ChaCha20Poly1305.key_bits_attr(), None);
        assert_eq!(PrfAlg::HmacSha384.key_len(), 48);
        assert_eq!(IntegAlg::HmacSha512_256.icv_len(), 32);
        assert_eq!(DhAlg::Ecp384.public_len(), 96);
        assert_eq!(DhAlg::Modp2048.shared_len(), 256);
    }

    #[test]
    fn suite_validation_enforces_aead_integ_rule() {
        let ok = IkeSuite {
            encr: EncrAlg::AesGcm16_256,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhAlg::Curve25519,
        };
        assert!(ok.validate().is_ok());
        let bad = IkeSuite {
            integ: Some(IntegAlg::HmacSha256_128),
            ..ok
        };
        assert!(bad.validate().is_err());
        let cbc_without_integ = IkeSuite {
            encr: EncrAlg::AesCbc256,
            ..ok
        };
        assert!(cbc_without_integ.validate().is_err());
    }
}
