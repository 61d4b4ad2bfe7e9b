//! Raw cipher operations behind the SK payload, on aws-lc-rs.
//!
//! - AES-CBC with **no** padding mode (RFC 3602): IKEv2 does its own padding with a trailing
//!   Pad Length octet (RFC 7296 §3.14), which PKCS#7 unpadding would misread.
//! - AEAD (AES-GCM with a 16-octet ICV, RFC 5282; ChaCha20-Poly1305, RFC 7634) with an
//!   explicit 12-octet nonce, because IKEv2 builds the nonce as `salt ‖ IV` itself.
//!
//! These functions take the cipher key proper (no salt); splitting SK_e into key and salt is
//! the job of [`crate::sk`]. Every failure is reported without detail: a decryption that does
//! not authenticate is [`CryptoError::AuthenticationFailed`], nothing more.

use aws_lc_rs::aead::{
    AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey,
};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext,
    UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;

use crate::{CryptoError, EncrAlg};

/// AES block (and CBC IV) length in octets.
pub const AES_BLOCK_LEN: usize = 16;

/// Length of every AEAD tag used in IKEv2 SK payloads (GCM-16 and Poly1305), in octets.
pub const AEAD_TAG_LEN: usize = 16;

/// Length of the AEAD nonce (`salt(4) ‖ IV(8)`), in octets.
pub const AEAD_NONCE_LEN: usize = NONCE_LEN;

fn aes_unbound_key(key: &[u8]) -> Result<UnboundCipherKey, CryptoError> {
    let alg = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(CryptoError::InvalidKeyLength),
    };
    UnboundCipherKey::new(alg, key).map_err(|_| CryptoError::InvalidKeyLength)
}

/// Encrypt `data` in place with AES-CBC (128- or 256-bit `key`) and the given IV, without
/// padding.
///
/// `data.len()` must be a multiple of 16 ([`CryptoError::Malformed`] otherwise).
pub fn aes_cbc_encrypt(
    key: &[u8],
    iv: &[u8; AES_BLOCK_LEN],
    data: &mut [u8],
) -> Result<(), CryptoError> {
    if data.len() % AES_BLOCK_LEN != 0 {
        return Err(CryptoError::Malformed("CBC input not block-aligned"));
    }
    let key =
        EncryptingKey::cbc(aes_unbound_key(key)?).map_err(|_| CryptoError::InvalidKeyLength)?;
    let context = EncryptionContext::Iv128(FixedLength::from(*iv));
    key.less_safe_encrypt(data, context)
        .map(|_| ())
        .map_err(|_| CryptoError::Malformed("CBC encryption failed"))
}

/// Decrypt `data` in place with AES-CBC (128- or 256-bit `key`) and the given IV, without
/// removing any padding.
///
/// `data.len()` must be a multiple of 16 ([`CryptoError::Malformed`] otherwise).
pub fn aes_cbc_decrypt(
    key: &[u8],
    iv: &[u8; AES_BLOCK_LEN],
    data: &mut [u8],
) -> Result<(), CryptoError> {
    if data.len() % AES_BLOCK_LEN != 0 {
        return Err(CryptoError::Malformed("CBC input not block-aligned"));
    }
    let key =
        DecryptingKey::cbc(aes_unbound_key(key)?).map_err(|_| CryptoError::InvalidKeyLength)?;
    let context = DecryptionContext::Iv128(FixedLength::from(*iv));
    key.decrypt(data, context)
        .map(|_| ())
        .map_err(|_| CryptoError::Malformed("CBC decryption failed"))
}

fn aead_key(encr: EncrAlg, key: &[u8]) -> Result<LessSafeKey, CryptoError> {
    let alg = match encr {
        EncrAlg::AesGcm16_128 => &AES_128_GCM,
        EncrAlg::AesGcm16_256 => &AES_256_GCM,
        EncrAlg::ChaCha20Poly1305 => &CHACHA20_POLY1305,
        EncrAlg::AesCbc128 | EncrAlg::AesCbc256 => return Err(CryptoError::UnsupportedAlgorithm),
    };
    if key.len() != encr.key_len() {
        return Err(CryptoError::InvalidKeyLength);
    }
    let unbound = UnboundKey::new(alg, key).map_err(|_| CryptoError::InvalidKeyLength)?;
    Ok(LessSafeKey::new(unbound))
}

/// Encrypt `data` in place with an AEAD cipher and return the 16-octet tag.
///
/// `key` is the cipher key without the salt ([`EncrAlg::key_len`] octets); `nonce` is the full
/// 12-octet nonce. The caller guarantees the nonce is never repeated under the same key.
/// A non-AEAD `encr` is [`CryptoError::UnsupportedAlgorithm`].
pub fn aead_seal(
    encr: EncrAlg,
    key: &[u8],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    data: &mut [u8],
) -> Result<[u8; AEAD_TAG_LEN], CryptoError> {
    let key = aead_key(encr, key)?;
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), data)
        .map_err(|_| CryptoError::Malformed("AEAD encryption failed"))?;
    let mut out = [0u8; AEAD_TAG_LEN];
    let tag = tag.as_ref();
    if tag.len() != AEAD_TAG_LEN {
        return Err(CryptoError::Malformed("unexpected AEAD tag length"));
    }
    out.copy_from_slice(tag);
    Ok(out)
}

/// Verify and decrypt `ciphertext_and_tag` in place (ciphertext followed by the 16-octet tag).
///
/// Returns the plaintext length (the plaintext occupies the front of the buffer). Any
/// verification failure, including a buffer shorter than the tag, is
/// [`CryptoError::AuthenticationFailed`]; the buffer contents are then unspecified.
pub fn aead_open(
    encr: EncrAlg,
    key: &[u8],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &mut [u8],
) -> Result<usize, CryptoError> {
    let key = aead_key(encr, key)?;
    if ciphertext_and_tag.len() < AEAD_TAG_LEN {
        return Err(CryptoError::AuthenticationFailed);
    }
    key.open_in_place(
        Nonce::assume_unique_for_key(*nonce),
        Aad::from(aad),
        ciphertext_and_tag,
    )
    .map(|plain| plain.len())
    .map_err(|_| CryptoError::AuthenticationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbc_rejects_unaligned_input_and_bad_keys() {
        let iv = [0u8; 16];
        let mut data = [0u8; 15];
        assert_eq!(
            aes_cbc_encrypt(&[0; 16], &iv, &mut data),
            Err(CryptoError::Malformed("CBC input not block-aligned"))
        );
        let mut data = [0u8; 16];
        assert_eq!(
            aes_cbc_encrypt(&[0; 24], &iv, &mut data),
            Err(CryptoError::InvalidKeyLength)
        );
        assert_eq!(
            aes_cbc_decrypt(&[0; 17], &iv, &mut data),
            Err(CryptoError::InvalidKeyLength)
        );
    }

    #[test]
    fn aead_rejects_cbc_and_wrong_key_lengths() {
        let nonce = [0u8; 12];
        let mut data = [0u8; 4];
        assert_eq!(
            aead_seal(EncrAlg::AesCbc128, &[0; 16], &nonce, b"", &mut data),
            Err(CryptoError::UnsupportedAlgorithm)
        );
        assert_eq!(
            aead_seal(EncrAlg::AesGcm16_128, &[0; 20], &nonce, b"", &mut data),
            Err(CryptoError::InvalidKeyLength)
        );
        let mut short = [0u8; 15];
        assert_eq!(
            aead_open(EncrAlg::ChaCha20Poly1305, &[0; 32], &nonce, b"", &mut short),
            Err(CryptoError::AuthenticationFailed)
        );
    }
}
