//! Signature authentication: AUTH payload data for methods 1, 9, 10 and 14.
//!
//! IKEv2 has several signature AUTH methods whose data differ in shape
//! (<https://www.rfc-editor.org/rfc/rfc7296#section-3.8>):
//!
//! - **1, RSA Digital Signature**: a bare RSASSA-PKCS1-v1_5 signature. The hash is not negotiated;
//!   RFC 7296 makes SHA-1 the SHOULD default, but the DigestInfo inside the signature names it, so
//!   a verifier can accept any of SHA-1/SHA-2.
//! - **9 / 10, ECDSA with SHA-256 on P-256 / SHA-384 on P-384** (RFC 4754): `r ‖ s`, each
//!   zero-padded to the field size.
//! - **14, Digital Signature** (RFC 7427): `ASN.1 length (1 octet) | AlgorithmIdentifier DER |
//!   signature`, where ECDSA signatures are DER `ECDSA-Sig-Value` and Ed25519 (RFC 8420) signs the
//!   octets directly.
//!
//! Signing uses aws-lc-rs, whose signers take no caller RNG (ECDSA draws its nonce inside
//! aws-lc), so [`sign_auth`] has no RNG parameter; RSA-PSS salts come from aws-lc too.
//!
//! Known limitation: aws-lc-rs offers RSASSA-PKCS1-v1_5 *signing* only with SHA-2, so method 1
//! AUTH we produce uses SHA-256/384/512 (allowed by RFC 7296: the hash is named inside the
//! signature), while SHA-1 method-1 signatures from peers are still *verified*. Peers that insist
//! on SHA-1 for method 1 should be configured for method 14, which RFC 8247 prefers anyway.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
    UnparsedPublicKey, VerificationAlgorithm,
};
use ike_wire::AuthMethod;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::prelude::FromDer;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::error::CryptoError;

// ---- OIDs (content octets only), as they appear in RFC 7427 Appendix A and RFC 8420 ----
const OID_SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const OID_SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
// SubjectPublicKeyInfo algorithms (RFC 5480, RFC 3279, RFC 8410).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_CURVE_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_CURVE_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

// ---- AlgorithmIdentifier DER blobs we emit in method 14 ----
/// RFC 7427 A.1.1 `sha1WithRSAEncryption` (verify only).
const ALGID_SHA1_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
];
/// RFC 7427 A.1.2 `sha256WithRSAEncryption`.
const ALGID_SHA256_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
/// RFC 7427 A.1.3 `sha384WithRSAEncryption`.
const ALGID_SHA384_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00,
];
/// RFC 7427 A.1.4 `sha512WithRSAEncryption`.
const ALGID_SHA512_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00,
];
/// RFC 7427 A.3.2 `ecdsa-with-SHA256`.
const ALGID_ECDSA_SHA256: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];
/// RFC 7427 A.3.3 `ecdsa-with-SHA384`.
const ALGID_ECDSA_SHA384: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
];
/// RFC 7427 A.4.3 "RSASSA-PSS with SHA-256": SHA-256, MGF1-SHA-256, salt 32, trailerField 1.
const ALGID_PSS_SHA256: &[u8] = &[
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x20, 0xa3, 0x03, 0x02, 0x01, 0x01,
];
/// The A.4.3 shape with SHA-384 (hash and MGF1 OID arc 2) and salt 48. RFC 7427 lists only
/// SHA-256; this is the same structure with the hash OID arc and salt changed.
const ALGID_PSS_SHA384: &[u8] = &[
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x30, 0xa3, 0x03, 0x02, 0x01, 0x01,
];
/// The A.4.3 shape with SHA-512 (arc 3) and salt 64.
const ALGID_PSS_SHA512: &[u8] = &[
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x40, 0xa3, 0x03, 0x02, 0x01, 0x01,
];
/// RFC 8420 A.1 `id-Ed25519`, parameters absent.
const ALGID_ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];

/// A hash algorithm id of the SIGNATURE_HASH_ALGORITHMS notify (16431).
///
/// Values from the "IKEv2 Hash Algorithms" registry: RFC 7427 §7 and RFC 8420 §2 (`Identity`,
/// announced when Ed25519 is supported). The notify data is a plain list of these as 16-bit
/// big-endian integers (<https://www.rfc-editor.org/rfc/rfc7427#section-4>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// `SHA1` (1): only for verifying legacy signatures; never announce it.
    Sha1 = 1,
    /// `SHA2-256` (2).
    Sha256 = 2,
    /// `SHA2-384` (3).
    Sha384 = 3,
    /// `SHA2-512` (4).
    Sha512 = 4,
    /// `Identity` (5, RFC 8420): the signature algorithm takes the message unhashed (Ed25519).
    Identity = 5,
}

impl HashAlgorithm {
    /// What we announce by default: SHA2-256/384/512 and Identity (Ed25519).
    pub const DEFAULT_ANNOUNCED: &'static [HashAlgorithm] = &[
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
        HashAlgorithm::Identity,
    ];

    /// The registry value.
    pub fn id(self) -> u16 {
        self as u16
    }

    /// The variant for a registry value, `None` for values we do not implement.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            1 => Some(Self::Sha1),
            2 => Some(Self::Sha256),
            3 => Some(Self::Sha384),
            4 => Some(Self::Sha512),
            5 => Some(Self::Identity),
            _ => None,
        }
    }

    /// Encode SIGNATURE_HASH_ALGORITHMS notification data: each id as a 16-bit big-endian
    /// integer, no padding.
    pub fn encode_notify_data(algs: &[HashAlgorithm]) -> Vec<u8> {
        algs.iter().flat_map(|a| a.id().to_be_bytes()).collect()
    }

    /// Decode SIGNATURE_HASH_ALGORITHMS notification data.
    ///
    /// Unknown ids are skipped (the peer may list algorithms we lack; we just cannot pick them).
    /// An odd length is malformed.
    pub fn decode_notify_data(data: &[u8]) -> Result<Vec<HashAlgorithm>, CryptoError> {
        if data.len() % 2 != 0 {
            return Err(CryptoError::Malformed(
                "SIGNATURE_HASH_ALGORITHMS data has odd length",
            ));
        }
        Ok(data
            .chunks_exact(2)
            .filter_map(|c| Self::from_id(u16::from_be_bytes([c[0], c[1]])))
            .collect())
    }
}

/// The type of a signing or peer public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// RSA, 2048 to 8192 bits.
    Rsa,
    /// Ed25519 (RFC 8032).
    Ed25519,
}

/// A signature algorithm together with its hash (and, for ECDSA, its curve).
///
/// ECDSA schemes bind curve and hash as TLS 1.3 does (P-256 with SHA-256, P-384 with SHA-384);
/// other pairings, although RFC 7427 allows them, are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ECDSA P-256 with SHA-256 (`ecdsa-with-SHA256`).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384 (`ecdsa-with-SHA384`).
    EcdsaP384Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-1: verification only (legacy method 1 peers).
    RsaPkcs1Sha1,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-octet salt.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-octet salt.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-octet salt.
    RsaPssSha512,
    /// Ed25519 (pure, RFC 8420; "Identity" hash).
    Ed25519,
}

impl SignatureScheme {
    /// Every scheme this module can verify.
    pub const ALL: &'static [SignatureScheme] = &[
        Self::EcdsaP256Sha256,
        Self::EcdsaP384Sha384,
        Self::RsaPkcs1Sha1,
        Self::RsaPkcs1Sha256,
        Self::RsaPkcs1Sha384,
        Self::RsaPkcs1Sha512,
        Self::RsaPssSha256,
        Self::RsaPssSha384,
        Self::RsaPssSha512,
        Self::Ed25519,
    ];

    /// The hash this scheme uses, as announced in SIGNATURE_HASH_ALGORITHMS.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaPkcs1Sha1 => HashAlgorithm::Sha1,
            Self::EcdsaP256Sha256 | Self::RsaPkcs1Sha256 | Self::RsaPssSha256 => {
                HashAlgorithm::Sha256
            }
            Self::EcdsaP384Sha384 | Self::RsaPkcs1Sha384 | Self::RsaPssSha384 => {
                HashAlgorithm::Sha384
            }
            Self::RsaPkcs1Sha512 | Self::RsaPssSha512 => HashAlgorithm::Sha512,
            Self::Ed25519 => HashAlgorithm::Identity,
        }
    }

    /// The key type this scheme needs.
    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::EcdsaP256Sha256 => KeyKind::EcdsaP256,
            Self::EcdsaP384Sha384 => KeyKind::EcdsaP384,
            Self::Ed25519 => KeyKind::Ed25519,
            _ => KeyKind::Rsa,
        }
    }

    /// The AlgorithmIdentifier DER we put into method-14 AUTH data (RFC 7427 Appendix A,
    /// RFC 8420 Appendix A).
    pub fn algorithm_identifier(self) -> &'static [u8] {
        match self {
            Self::EcdsaP256Sha256 => ALGID_ECDSA_SHA256,
            Self::EcdsaP384Sha384 => ALGID_ECDSA_SHA384,
            Self::RsaPkcs1Sha1 => ALGID_SHA1_WITH_RSA,
            Self::RsaPkcs1Sha256 => ALGID_SHA256_WITH_RSA,
            Self::RsaPkcs1Sha384 => ALGID_SHA384_WITH_RSA,
            Self::RsaPkcs1Sha512 => ALGID_SHA512_WITH_RSA,
            Self::RsaPssSha256 => ALGID_PSS_SHA256,
            Self::RsaPssSha384 => ALGID_PSS_SHA384,
            Self::RsaPssSha512 => ALGID_PSS_SHA512,
            Self::Ed25519 => ALGID_ED25519,
        }
    }

    /// The schemes whose hash is in `hashes`: turns the SIGNATURE_HASH_ALGORITHMS we announced
    /// into the `allowed` list of [`verify_auth`].
    pub fn for_hashes(hashes: &[HashAlgorithm]) -> Vec<SignatureScheme> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| hashes.contains(&s.hash()))
            .collect()
    }

    /// Identify the scheme named by a method-14 AlgorithmIdentifier.
    ///
    /// Both DER encodings RFC 7427 §3 mentions are accepted (parameters NULL or absent), and
    /// RSASSA-PSS parameters are parsed rather than compared as a blob: strongSwan omits the
    /// default `trailerField` that RFC 7427 A.4.3 spells out. PSS is accepted only with MGF1
    /// over the same hash and a salt as long as the hash (what aws-lc verifies).
    pub fn from_algorithm_identifier(der: &[u8]) -> Result<SignatureScheme, CryptoError> {
        let (rest, ai) = AlgorithmIdentifier::from_der(der)
            .map_err(|_| CryptoError::Malformed("AlgorithmIdentifier is not valid DER"))?;
        if !rest.is_empty() {
            return Err(CryptoError::Malformed(
                "trailing octets after AlgorithmIdentifier",
            ));
        }
        let oid = ai.algorithm.as_bytes();
        let params_null_or_absent = match &ai.parameters {
            None => true,
            Some(p) => p.tag() == x509_parser::asn1_rs::Tag::Null && p.data.is_empty(),
        };
        let simple = |scheme| {
            if params_null_or_absent {
                Ok(scheme)
            } else {
                Err(CryptoError::UnsupportedAlgorithm)
            }
        };
        match oid {
            OID_ECDSA_SHA256 => simple(Self::EcdsaP256Sha256),
            OID_ECDSA_SHA384 => simple(Self::EcdsaP384Sha384),
            OID_SHA1_WITH_RSA => simple(Self::RsaPkcs1Sha1),
            OID_SHA256_WITH_RSA => simple(Self::RsaPkcs1Sha256),
            OID_SHA384_WITH_RSA => simple(Self::RsaPkcs1Sha384),
            OID_SHA512_WITH_RSA => simple(Self::RsaPkcs1Sha512),
            // RFC 8410 §3: parameters MUST be absent.
            OID_ED25519 if ai.parameters.is_none() => Ok(Self::Ed25519),
            OID_RSASSA_PSS => {
                let params = ai
                    .parameters
                    .as_ref()
                    .ok_or(CryptoError::UnsupportedAlgorithm)?;
                let pss = RsaSsaPssParams::try_from(params)
                    .map_err(|_| CryptoError::Malformed("RSASSA-PSS parameters"))?;
                let (scheme, salt) = match pss.hash_algorithm_oid().as_bytes() {
                    OID_SHA256 => (Self::RsaPssSha256, 32),
                    OID_SHA384 => (Self::RsaPssSha384, 48),
                    OID_SHA512 => (Self::RsaPssSha512, 64),
                    _ => return Err(CryptoError::UnsupportedAlgorithm),
                };
                let mgf = pss
                    .mask_gen_algorithm()
                    .map_err(|_| CryptoError::Malformed("RSASSA-PSS mask generation function"))?;
                if mgf.mgf.as_bytes() != OID_MGF1
                    || mgf.hash.as_bytes() != pss.hash_algorithm_oid().as_bytes()
                    || pss.salt_length() != salt
                    || pss.trailer_field() != 1
                {
                    return Err(CryptoError::UnsupportedAlgorithm);
                }
                Ok(scheme)
            }
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }
}

enum KeyInner {
    /// One key, two aws-lc views: DER signatures for method 14, fixed `r ‖ s` for 9/10.
    Ecdsa {
        kind: KeyKind,
        asn1: EcdsaKeyPair,
        fixed: EcdsaKeyPair,
    },
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key for signature AUTH: ECDSA P-256/P-384, RSA (2048–8192 bits) or Ed25519.
///
/// The key lives inside aws-lc, which wipes it when freed; `Debug` shows only the key type.
pub struct SigningKey {
    inner: KeyInner,
    spki: Vec<u8>,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

fn ecdsa_algs(
    kind: KeyKind,
) -> (
    &'static EcdsaSigningAlgorithm,
    &'static EcdsaSigningAlgorithm,
) {
    if kind == KeyKind::EcdsaP384 {
        (
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
    } else {
        (
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
    }
}

const BAD_KEY: CryptoError =
    CryptoError::Malformed("private key is not a P-256, P-384, RSA (2048+) or Ed25519 key");

impl SigningKey {
    /// Load a PKCS#8 `PrivateKeyInfo` (RFC 5208 / RFC 5958, unencrypted).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384] {
            let (a, f) = ecdsa_algs(kind);
            if let (Ok(asn1), Ok(fixed)) = (
                EcdsaKeyPair::from_pkcs8(a, der),
                EcdsaKeyPair::from_pkcs8(f, der),
            ) {
                return Self::from_inner(KeyInner::Ecdsa { kind, asn1, fixed });
            }
        }
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Self::from_inner(KeyInner::Ed25519(k));
        }
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Self::from_rsa(k);
        }
        Err(BAD_KEY)
    }

    /// Load a PEM private key: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1, RFC 5915) or
    /// `RSA PRIVATE KEY` (PKCS#1). The first private key block in `pem` is used.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        // PrivateKeyDer zeroizes its buffer on drop.
        let key = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| CryptoError::Malformed("no private key in PEM input"))?;
        match &key {
            PrivateKeyDer::Pkcs8(k) => Self::from_pkcs8_der(k.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(k) => {
                for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384] {
                    let (a, f) = ecdsa_algs(kind);
                    let der = k.secret_sec1_der();
                    if let (Ok(asn1), Ok(fixed)) = (
                        EcdsaKeyPair::from_private_key_der(a, der),
                        EcdsaKeyPair::from_private_key_der(f, der),
                    ) {
                        return Self::from_inner(KeyInner::Ecdsa { kind, asn1, fixed });
                    }
                }
                Err(BAD_KEY)
            }
            PrivateKeyDer::Pkcs1(k) => {
                Self::from_rsa(RsaKeyPair::from_der(k.secret_pkcs1_der()).map_err(|_| BAD_KEY)?)
            }
            _ => Err(BAD_KEY),
        }
    }

    fn from_rsa(k: RsaKeyPair) -> Result<Self, CryptoError> {
        // Match what verifiers (and aws-lc's own RSA verification) accept.
        let bits = k.public_modulus_len() * 8;
        if !(2048..=8192).contains(&bits) {
            return Err(BAD_KEY);
        }
        Self::from_inner(KeyInner::Rsa(k))
    }

    fn from_inner(inner: KeyInner) -> Result<Self, CryptoError> {
        let spki = match &inner {
            KeyInner::Ecdsa { asn1, .. } => asn1.public_key().as_der().map(|d| d.as_ref().to_vec()),
            KeyInner::Rsa(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            KeyInner::Ed25519(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|_| CryptoError::Signature("cannot encode public key"))?;
        Ok(Self { inner, spki })
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            KeyInner::Ecdsa { kind, .. } => *kind,
            KeyInner::Rsa(_) => KeyKind::Rsa,
            KeyInner::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// The public key as DER SubjectPublicKeyInfo (what a certificate for this key carries).
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// Pick the method-14 scheme for this key from the hashes the peer announced in
    /// SIGNATURE_HASH_ALGORITHMS, or `None` if none fits.
    ///
    /// RSA prefers RSASSA-PSS (RFC 8247 §3.2 ranks it above PKCS#1 v1.5) with the first of
    /// SHA-256, SHA-384, SHA-512 the peer supports.
    pub fn preferred_scheme(&self, peer_hashes: &[HashAlgorithm]) -> Option<SignatureScheme> {
        let candidates: &[SignatureScheme] = match self.kind() {
            KeyKind::EcdsaP256 => &[SignatureScheme::EcdsaP256Sha256],
            KeyKind::EcdsaP384 => &[SignatureScheme::EcdsaP384Sha384],
            KeyKind::Ed25519 => &[SignatureScheme::Ed25519],
            KeyKind::Rsa => &[
                SignatureScheme::RsaPssSha256,
                SignatureScheme::RsaPssSha384,
                SignatureScheme::RsaPssSha512,
            ],
        };
        candidates
            .iter()
            .copied()
            .find(|s| peer_hashes.contains(&s.hash()))
    }

    fn sign_raw(
        &self,
        scheme: SignatureScheme,
        fixed: bool,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if scheme.key_kind() != self.kind() {
            return Err(CryptoError::Signature("scheme does not match the key type"));
        }
        let rng = SystemRandom::new();
        let fail = |_| CryptoError::Signature("signing failed");
        match &self.inner {
            KeyInner::Ecdsa { asn1, fixed: f, .. } => {
                let kp = if fixed { f } else { asn1 };
                Ok(kp.sign(&rng, msg).map_err(fail)?.as_ref().to_vec())
            }
            KeyInner::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
            KeyInner::Rsa(k) => {
                let enc: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::RsaPkcs1Sha256 => &signature::RSA_PKCS1_SHA256,
                    SignatureScheme::RsaPkcs1Sha384 => &signature::RSA_PKCS1_SHA384,
                    SignatureScheme::RsaPkcs1Sha512 => &signature::RSA_PKCS1_SHA512,
                    SignatureScheme::RsaPssSha256 => &signature::RSA_PSS_SHA256,
                    SignatureScheme::RsaPssSha384 => &signature::RSA_PSS_SHA384,
                    SignatureScheme::RsaPssSha512 => &signature::RSA_PSS_SHA512,
                    // aws-lc-rs cannot sign PKCS#1 v1.5 with SHA-1 (see the module docs).
                    _ => return Err(CryptoError::UnsupportedAlgorithm),
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut sig).map_err(fail)?;
                Ok(sig)
            }
        }
    }
}

/// Produce the Authentication Data of an AUTH payload over `signed_octets`
/// (<https://www.rfc-editor.org/rfc/rfc7296#section-2.15>).
///
/// - [`AuthMethod::RsaSig`]: RSA key, `scheme` one of `RsaPkcs1Sha256/384/512`.
/// - [`AuthMethod::EcdsaSha256P256`] / [`AuthMethod::EcdsaSha384P384`]: the matching ECDSA key
///   and scheme; output `r ‖ s`.
/// - [`AuthMethod::DigitalSignature`]: any scheme matching the key (pick it with
///   [`SigningKey::preferred_scheme`]); output `len | AlgorithmIdentifier | signature`.
///
/// Anything else is [`CryptoError::UnsupportedAlgorithm`].
pub fn sign_auth(
    key: &SigningKey,
    method: AuthMethod,
    scheme: SignatureScheme,
    signed_octets: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match method {
        AuthMethod::RsaSig => match scheme {
            SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPkcs1Sha384
            | SignatureScheme::RsaPkcs1Sha512 => key.sign_raw(scheme, false, signed_octets),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        },
        AuthMethod::EcdsaSha256P256 if scheme == SignatureScheme::EcdsaP256Sha256 => {
            key.sign_raw(scheme, true, signed_octets)
        }
        AuthMethod::EcdsaSha384P384 if scheme == SignatureScheme::EcdsaP384Sha384 => {
            key.sign_raw(scheme, true, signed_octets)
        }
        AuthMethod::DigitalSignature => {
            if scheme == SignatureScheme::RsaPkcs1Sha1 {
                return Err(CryptoError::UnsupportedAlgorithm);
            }
            let sig = key.sign_raw(scheme, false, signed_octets)?;
            let algid = scheme.algorithm_identifier();
            let mut out = Vec::with_capacity(1 + algid.len() + sig.len());
            // Every AlgorithmIdentifier above is shorter than 256 octets.
            out.push(algid.len() as u8);
            out.extend_from_slice(algid);
            out.extend_from_slice(&sig);
            Ok(out)
        }
        _ => Err(CryptoError::UnsupportedAlgorithm),
    }
}

/// A peer public key taken from a DER SubjectPublicKeyInfo.
struct PeerKey {
    kind: KeyKind,
    /// The BIT STRING contents: EC point, PKCS#1 RSAPublicKey or raw Ed25519 key.
    raw: Vec<u8>,
}

impl PeerKey {
    fn parse(spki_der: &[u8]) -> Result<Self, CryptoError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der)
            .map_err(|_| CryptoError::Malformed("SubjectPublicKeyInfo is not valid DER"))?;
        if !rest.is_empty() {
            return Err(CryptoError::Malformed(
                "trailing octets after SubjectPublicKeyInfo",
            ));
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| (p.tag() == x509_parser::asn1_rs::Tag::Oid).then_some(p.data));
        let kind = match (spki.algorithm.algorithm.as_bytes(), curve) {
            (OID_EC_PUBLIC_KEY, Some(OID_CURVE_P256)) => KeyKind::EcdsaP256,
            (OID_EC_PUBLIC_KEY, Some(OID_CURVE_P384)) => KeyKind::EcdsaP384,
            (OID_RSA_ENCRYPTION, _) => KeyKind::Rsa,
            (OID_ED25519, None) => KeyKind::Ed25519,
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let raw = spki.subject_public_key.data.to_vec();
        Ok(Self { kind, raw })
    }

    fn verify(
        &self,
        scheme: SignatureScheme,
        fixed: bool,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        if scheme.key_kind() != self.kind {
            return Err(CryptoError::Signature(
                "signature algorithm does not match the peer's key type",
            ));
        }
        let alg: &'static dyn VerificationAlgorithm = match (scheme, fixed) {
            (SignatureScheme::EcdsaP256Sha256, false) => &signature::ECDSA_P256_SHA256_ASN1,
            (SignatureScheme::EcdsaP256Sha256, true) => &signature::ECDSA_P256_SHA256_FIXED,
            (SignatureScheme::EcdsaP384Sha384, false) => &signature::ECDSA_P384_SHA384_ASN1,
            (SignatureScheme::EcdsaP384Sha384, true) => &signature::ECDSA_P384_SHA384_FIXED,
            (SignatureScheme::RsaPkcs1Sha1, _) => {
                &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            (SignatureScheme::RsaPkcs1Sha256, _) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (SignatureScheme::RsaPkcs1Sha384, _) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (SignatureScheme::RsaPkcs1Sha512, _) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (SignatureScheme::RsaPssSha256, _) => &signature::RSA_PSS_2048_8192_SHA256,
            (SignatureScheme::RsaPssSha384, _) => &signature::RSA_PSS_2048_8192_SHA384,
            (SignatureScheme::RsaPssSha512, _) => &signature::RSA_PSS_2048_8192_SHA512,
            (SignatureScheme::Ed25519, _) => &signature::ED25519,
        };
        UnparsedPublicKey::new(alg, &self.raw)
            .verify(msg, sig)
            .map_err(|_| CryptoError::AuthenticationFailed)
    }
}

fn require_allowed(
    scheme: SignatureScheme,
    allowed: &[SignatureScheme],
) -> Result<(), CryptoError> {
    if allowed.contains(&scheme) {
        Ok(())
    } else {
        Err(CryptoError::Signature(
            "signature scheme not allowed by policy",
        ))
    }
}

/// Verify a peer's AUTH data against its public key (DER SubjectPublicKeyInfo, normally from
/// its end-entity certificate: [`crate::cert::Certificate::spki_der`]).
///
/// The scheme the peer used must be in `allowed`, for every method: for method 14 build it from
/// the hashes we announced ([`SignatureScheme::for_hashes`]); method 1 is tried with each
/// RSA PKCS#1 scheme in `allowed` (include [`SignatureScheme::RsaPkcs1Sha1`] to accept the RFC
/// 7296 default); methods 9 and 10 need `EcdsaP256Sha256` / `EcdsaP384Sha384`.
///
/// Errors: [`CryptoError::AuthenticationFailed`] for a signature that does not verify;
/// [`CryptoError::Signature`] for a scheme outside `allowed` or not matching the key;
/// [`CryptoError::Malformed`] / [`CryptoError::UnsupportedAlgorithm`] for bad or unknown input.
pub fn verify_auth(
    spki_der: &[u8],
    method: AuthMethod,
    auth_data: &[u8],
    signed_octets: &[u8],
    allowed: &[SignatureScheme],
) -> Result<(), CryptoError> {
    let key = PeerKey::parse(spki_der)?;
    match method {
        AuthMethod::RsaSig => {
            if key.kind != KeyKind::Rsa {
                return Err(CryptoError::Signature(
                    "RSA signature method with a non-RSA key",
                ));
            }
            let mut tried = false;
            for scheme in [
                SignatureScheme::RsaPkcs1Sha1,
                SignatureScheme::RsaPkcs1Sha256,
                SignatureScheme::RsaPkcs1Sha384,
                SignatureScheme::RsaPkcs1Sha512,
            ] {
                if allowed.contains(&scheme) {
                    tried = true;
                    if key.verify(scheme, false, signed_octets, auth_data).is_ok() {
                        return Ok(());
                    }
                }
            }
            if tried {
                Err(CryptoError::AuthenticationFailed)
            } else {
                Err(CryptoError::Signature(
                    "signature scheme not allowed by policy",
                ))
            }
        }
        AuthMethod::EcdsaSha256P256 => {
            require_allowed(SignatureScheme::EcdsaP256Sha256, allowed)?;
            key.verify(
                SignatureScheme::EcdsaP256Sha256,
                true,
                signed_octets,
                auth_data,
            )
        }
        AuthMethod::EcdsaSha384P384 => {
            require_allowed(SignatureScheme::EcdsaP384Sha384, allowed)?;
            key.verify(
                SignatureScheme::EcdsaP384Sha384,
                true,
                signed_octets,
                auth_data,
            )
        }
        AuthMethod::DigitalSignature => {
            let (&len, rest) = auth_data
                .split_first()
                .ok_or(CryptoError::Malformed("empty AUTH data"))?;
            let len = usize::from(len);
            if rest.len() <= len {
                return Err(CryptoError::Malformed(
                    "AUTH data shorter than its AlgorithmIdentifier length",
                ));
            }
            let (algid, sig) = rest.split_at(len);
            let scheme = SignatureScheme::from_algorithm_identifier(algid)?;
            require_allowed(scheme, allowed)?;
            key.verify(scheme, false, signed_octets, sig)
        }
        _ => Err(CryptoError::UnsupportedAlgorithm),
    }
}
