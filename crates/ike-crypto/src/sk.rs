//! Encrypted and Authenticated (SK, 46) and Encrypted Fragment (SKF, 53) payload protection.
//!
//! Layouts (conformance §G.9; RFC 7296 §3.14, RFC 5282 §3, §5, RFC 7634 §3, RFC 7383 §2.5):
//!
//! ```text
//! SK : next(1) | C+reserved(1) | length(2) |                         IV | enc(payloads | pad | padLen) | ICV
//! SKF: next(1) | C+reserved(1) | length(2) | fragNo(2) | total(2) | IV | enc(payloads | pad | padLen) | ICV
//! ```
//!
//! - **CBC + HMAC**: the IV is one random block; padding brings `payloads | pad | padLen` to a
//!   multiple of 16 (minimum padding on send, any valid amount on receipt); the ICV is the
//!   truncated HMAC over the whole message from the IKE header through Pad Length, computed
//!   *after* encryption.
//! - **AEAD** (AES-GCM-16, ChaCha20-Poly1305): SK_e is `key ‖ salt(4)`; the nonce is
//!   `salt ‖ IV(8)`; the AAD is the message from the IKE header through the SK generic header
//!   (through Total Fragments for SKF), unencrypted payloads included; the tag is 16 octets.
//!   Pad length 0 on send (RFC 7634 §3 SHOULD), any valid amount accepted.
//!
//! **AEAD IV choice.** The 8-octet IV is drawn from the caller's RNG for every message rather
//! than from a per-key counter. A counter is only safe if exactly one [`SkKeys`] ever exists
//! per key; random IVs stay safe even if the key schedule rebuilds `SkKeys` from the same SK_e,
//! and keep sealing a `&self` operation. The price is a birthday bound: after n messages under
//! one key the chance of any repeat is about n²/2^65 — below 2^-33 for 2^16 messages, far more
//! than an IKE SA carries before it is rekeyed.
//!
//! **Order of checks on receipt.** Structure and lengths (all public) are checked first, then
//! the ICV/tag, and only then is anything decrypted or the padding read, so malformed padding
//! is never observable for a forged message.
//!
//! Framing is done on raw bytes: the IKE header is 28 octets, with Next Payload at offset 16
//! and Length at offsets 24..28 (RFC 7296 §3.1).

use core::fmt;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::cipher::{
    AEAD_NONCE_LEN, AES_BLOCK_LEN, aead_open, aead_seal, aes_cbc_decrypt, aes_cbc_encrypt,
};
use crate::{CryptoError, EncrAlg, IntegAlg, SecretBytes};

/// Length of the fixed IKE header (RFC 7296 §3.1).
const IKE_HEADER_LEN: usize = 28;
/// Offset of the IKE header's Next Payload field.
const HEADER_NEXT_PAYLOAD: usize = 16;
/// Offset of the IKE header's Length field (4 octets, big-endian).
const HEADER_LENGTH: usize = 24;
/// Length of a generic payload header.
const GENERIC_HEADER_LEN: usize = 4;
/// Extra octets in the SKF header: Fragment Number(2) and Total Fragments(2).
const FRAGMENT_FIELDS_LEN: usize = 4;
/// Payload type of SK (RFC 7296 §3.14).
pub const PAYLOAD_TYPE_SK: u8 = 46;
/// Payload type of SKF (RFC 7383 §2.5).
pub const PAYLOAD_TYPE_SKF: u8 = 53;
/// Length of the AEAD salt at the end of SK_e (RFC 5282 §7.1, RFC 7634 §2).
const AEAD_SALT_LEN: usize = 4;

/// One direction's protection keys: SK_ei + SK_ai for what the initiator sends, or SK_er +
/// SK_ar for what the responder sends (RFC 7296 §2.14).
///
/// `Debug` shows only the algorithms.
pub struct SkKeys {
    encr: EncrAlg,
    integ: Option<IntegAlg>,
    /// SK_e: the cipher key, followed by the 4-octet salt for AEAD ciphers.
    encr_key: SecretBytes,
    /// SK_a: empty for AEAD ciphers.
    integ_key: SecretBytes,
}

impl fmt::Debug for SkKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkKeys")
            .field("encr", &self.encr)
            .field("integ", &self.integ)
            .finish_non_exhaustive()
    }
}

impl SkKeys {
    /// Bundle the keys for one direction.
    ///
    /// `integ` must be `None` exactly when `encr` is AEAD ([`CryptoError::Malformed`]
    /// otherwise). `sk_e` must be [`EncrAlg::key_material_len`] octets (cipher key plus salt for
    /// AEAD) and `sk_a` must be [`IntegAlg::key_len`] octets, or empty without INTEG
    /// ([`CryptoError::InvalidKeyLength`] otherwise).
    pub fn new(
        encr: EncrAlg,
        integ: Option<IntegAlg>,
        sk_e: &[u8],
        sk_a: &[u8],
    ) -> Result<Self, CryptoError> {
        if encr.is_aead() != integ.is_none() {
            return Err(CryptoError::Malformed(
                "INTEG must be absent iff ENCR is AEAD",
            ));
        }
        if sk_e.len() != encr.key_material_len() {
            return Err(CryptoError::InvalidKeyLength);
        }
        if sk_a.len() != integ.map_or(0, IntegAlg::key_len) {
            return Err(CryptoError::InvalidKeyLength);
        }
        Ok(Self {
            encr,
            integ,
            encr_key: SecretBytes::from_slice(sk_e),
            integ_key: SecretBytes::from_slice(sk_a),
        })
    }

    /// The encryption algorithm.
    pub fn encr(&self) -> EncrAlg {
        self.encr
    }

    /// The integrity algorithm (`None` for AEAD).
    pub fn integ(&self) -> Option<IntegAlg> {
        self.integ
    }

    /// The most octets the SK payload adds around the plaintext payload chain: IV + padding
    /// including the Pad Length octet + ICV/tag. For fragment sizing.
    ///
    /// Not included: the 4-octet generic payload header (8 octets for SKF).
    /// CBC: 16 + 16 + ICV; AEAD: 8 + 1 + 16 = 25.
    pub fn overhead(&self) -> usize {
        // Padding plus Pad Length is 1..=block_len octets (a full block when already aligned).
        self.encr.iv_len() + self.encr.block_len() + self.icv_len()
    }

    fn icv_len(&self) -> usize {
        match self.integ {
            Some(integ) => integ.icv_len(),
            None => self.encr.icv_len(),
        }
    }

    /// Split SK_e of an AEAD cipher into (key, salt).
    fn aead_key_and_salt(&self) -> Result<(&[u8], &[u8]), CryptoError> {
        let sk_e = self.encr_key.expose();
        let split = sk_e
            .len()
            .checked_sub(AEAD_SALT_LEN)
            .ok_or(CryptoError::InvalidKeyLength)?;
        Ok(sk_e.split_at(split))
    }

    fn aead_nonce(&self, iv: &[u8]) -> Result<[u8; AEAD_NONCE_LEN], CryptoError> {
        let (_, salt) = self.aead_key_and_salt()?;
        if salt.len() + iv.len() != AEAD_NONCE_LEN {
            return Err(CryptoError::Malformed("AEAD IV length"));
        }
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        nonce[..AEAD_SALT_LEN].copy_from_slice(salt);
        nonce[AEAD_SALT_LEN..].copy_from_slice(iv);
        Ok(nonce)
    }
}

/// Build a complete protected message with the SK payload last.
///
/// `header_and_clear` is the 28-octet IKE header followed by any unencrypted payloads; the
/// caller has already set the chain's last Next Payload to SK (46). This appends the SK payload
/// (its Next Payload = `first_inner`), patches the IKE header Length, then computes the ICV/tag.
/// The IV comes from `rng`.
pub fn seal(
    keys: &SkKeys,
    header_and_clear: &[u8],
    first_inner: u8,
    plaintext_payloads: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let iv = random_iv(keys, rng)?;
    seal_inner(
        keys,
        header_and_clear,
        first_inner,
        None,
        plaintext_payloads,
        &iv,
    )
}

/// Like [`seal`], for one RFC 7383 Encrypted Fragment (SKF, 53) carrying fragment `frag_no` of
/// `total` (both 1-based, `1 ≤ frag_no ≤ total`). `first_inner` must be 0 for every fragment
/// but the first (RFC 7383 §2.5); that is the caller's responsibility.
pub fn seal_fragment(
    keys: &SkKeys,
    header_and_clear: &[u8],
    first_inner: u8,
    frag_no: u16,
    total: u16,
    plaintext: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let iv = random_iv(keys, rng)?;
    seal_inner(
        keys,
        header_and_clear,
        first_inner,
        Some((frag_no, total)),
        plaintext,
        &iv,
    )
}

/// Test hook: [`seal`] / [`seal_fragment`] with a caller-chosen IV, for reproducing published
/// vectors byte for byte. Never use it to send: IVs must be unpredictable (CBC) or unique
/// (AEAD).
#[doc(hidden)]
pub fn seal_with_iv(
    keys: &SkKeys,
    header_and_clear: &[u8],
    first_inner: u8,
    fragment: Option<(u16, u16)>,
    plaintext: &[u8],
    iv: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    seal_inner(keys, header_and_clear, first_inner, fragment, plaintext, iv)
}

/// Verify and decrypt a complete message whose last payload is SK, starting at byte
/// `sk_offset` (the start of its generic header).
///
/// Returns the SK payload's Next Payload (the first inner payload type) and the decrypted
/// payload chain without padding. Errors: a wrong ICV/tag is
/// [`CryptoError::AuthenticationFailed`]; inconsistent lengths, a truncated message or invalid
/// padding are [`CryptoError::Malformed`].
pub fn open(
    keys: &SkKeys,
    message: &[u8],
    sk_offset: usize,
) -> Result<(u8, SecretBytes), CryptoError> {
    let (first_inner, _, plaintext) = open_inner(keys, message, sk_offset, false)?;
    Ok((first_inner, plaintext))
}

/// Like [`open`], for a message whose last payload is SKF at `skf_offset`.
///
/// Returns (Next Payload, Fragment Number, Total Fragments, plaintext). Fragment Number 0,
/// Total Fragments 0 or Fragment Number > Total Fragments is [`CryptoError::Malformed`];
/// reassembly rules beyond that are the caller's.
pub fn open_fragment(
    keys: &SkKeys,
    message: &[u8],
    skf_offset: usize,
) -> Result<(u8, u16, u16, SecretBytes), CryptoError> {
    let (first_inner, frag, plaintext) = open_inner(keys, message, skf_offset, true)?;
    let (frag_no, total) = frag.ok_or(CryptoError::Malformed("missing fragment fields"))?;
    Ok((first_inner, frag_no, total, plaintext))
}

fn random_iv(keys: &SkKeys, rng: &mut dyn CryptoRngCore) -> Result<Vec<u8>, CryptoError> {
    let mut iv = vec![0u8; keys.encr.iv_len()];
    rng.try_fill_bytes(&mut iv).map_err(|_| CryptoError::Rng)?;
    Ok(iv)
}

fn check_fragment_numbers(frag_no: u16, total: u16) -> Result<(), CryptoError> {
    if frag_no == 0 || total == 0 || frag_no > total {
        return Err(CryptoError::Malformed("invalid fragment number"));
    }
    Ok(())
}

fn seal_inner(
    keys: &SkKeys,
    header_and_clear: &[u8],
    first_inner: u8,
    fragment: Option<(u16, u16)>,
    plaintext: &[u8],
    iv: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let encr = keys.encr;
    if header_and_clear.len() < IKE_HEADER_LEN {
        return Err(CryptoError::Malformed("IKE header too short"));
    }
    if iv.len() != encr.iv_len() {
        return Err(CryptoError::Malformed("IV length"));
    }
    let payload_type = if fragment.is_some() {
        PAYLOAD_TYPE_SKF
    } else {
        PAYLOAD_TYPE_SK
    };
    // With no unencrypted payloads the header itself must point at SK/SKF; with some, the
    // chain is the caller's (this crate does not parse payloads).
    if header_and_clear.len() == IKE_HEADER_LEN
        && header_and_clear[HEADER_NEXT_PAYLOAD] != payload_type
    {
        return Err(CryptoError::Malformed(
            "IKE header Next Payload is not SK/SKF",
        ));
    }
    if let Some((frag_no, total)) = fragment {
        check_fragment_numbers(frag_no, total)?;
    }

    let block = encr.block_len();
    // Minimum padding so that payloads | pad | padLen is block-aligned (0 for AEAD).
    let pad_len = (block - (plaintext.len() + 1) % block) % block;
    let enc_len = plaintext.len() + pad_len + 1;
    let sk_header_len = GENERIC_HEADER_LEN
        + if fragment.is_some() {
            FRAGMENT_FIELDS_LEN
        } else {
            0
        };
    let sk_len = sk_header_len + iv.len() + enc_len + keys.icv_len();
    let sk_len_u16 =
        u16::try_from(sk_len).map_err(|_| CryptoError::Malformed("SK payload too long"))?;
    let total_len = header_and_clear.len() + sk_len;
    let total_len_u32 =
        u32::try_from(total_len).map_err(|_| CryptoError::Malformed("message too long"))?;
    let pad_len_u8 = u8::try_from(pad_len).map_err(|_| CryptoError::Malformed("padding"))?;

    let mut msg = Vec::with_capacity(total_len);
    msg.extend_from_slice(header_and_clear);
    msg[HEADER_LENGTH..IKE_HEADER_LEN].copy_from_slice(&total_len_u32.to_be_bytes());
    let sk_offset = msg.len();
    msg.push(first_inner);
    msg.push(0); // C = 0, RESERVED = 0
    msg.extend_from_slice(&sk_len_u16.to_be_bytes());
    if let Some((frag_no, total)) = fragment {
        msg.extend_from_slice(&frag_no.to_be_bytes());
        msg.extend_from_slice(&total.to_be_bytes());
    }
    let aad_end = msg.len();
    msg.extend_from_slice(iv);

    // The plaintext is assembled in a zeroizing buffer and only copied out once encrypted.
    let mut enc = Zeroizing::new(Vec::with_capacity(enc_len));
    enc.extend_from_slice(plaintext);
    enc.resize(plaintext.len() + pad_len, 0);
    enc.push(pad_len_u8);

    match keys.integ {
        Some(integ) => {
            let iv: &[u8; AES_BLOCK_LEN] = iv
                .try_into()
                .map_err(|_| CryptoError::Malformed("IV length"))?;
            aes_cbc_encrypt(keys.encr_key.expose(), iv, &mut enc)?;
            msg.extend_from_slice(&enc);
            let icv = integ.compute(keys.integ_key.expose(), &msg);
            msg.extend_from_slice(&icv);
        }
        None => {
            let (key, _) = keys.aead_key_and_salt()?;
            let nonce = keys.aead_nonce(iv)?;
            let tag = aead_seal(encr, key, &nonce, &msg[..aad_end], &mut enc)?;
            debug_assert_eq!(sk_offset + sk_header_len, aad_end);
            msg.extend_from_slice(&enc);
            msg.extend_from_slice(&tag);
        }
    }
    debug_assert_eq!(msg.len(), total_len);
    Ok(msg)
}

/// Parsed, length-checked view of an SK/SKF payload inside a message.
struct SkView {
    first_inner: u8,
    fragment: Option<(u16, u16)>,
    /// Offset where the IV starts (end of the generic header / fragment fields).
    iv_start: usize,
}

fn read_u16(message: &[u8], at: usize) -> Result<u16, CryptoError> {
    message
        .get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_be_bytes)
        .ok_or(CryptoError::Malformed("truncated message"))
}

fn parse_sk(message: &[u8], sk_offset: usize, fragment: bool) -> Result<SkView, CryptoError> {
    let header_len: [u8; 4] = message
        .get(HEADER_LENGTH..IKE_HEADER_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or(CryptoError::Malformed("truncated IKE header"))?;
    if usize::try_from(u32::from_be_bytes(header_len)).ok() != Some(message.len()) {
        return Err(CryptoError::Malformed("IKE header length mismatch"));
    }
    if sk_offset < IKE_HEADER_LEN {
        return Err(CryptoError::Malformed("SK offset inside IKE header"));
    }
    let first_inner = *message
        .get(sk_offset)
        .ok_or(CryptoError::Malformed("truncated message"))?;
    let sk_len = usize::from(read_u16(message, sk_offset + 2)?);
    // SK/SKF must be the last payload, so its length reaches exactly to the end.
    if message.len().checked_sub(sk_offset) != Some(sk_len) {
        return Err(CryptoError::Malformed("SK payload length mismatch"));
    }
    let (fragment, iv_start) = if fragment {
        let frag_no = read_u16(message, sk_offset + 4)?;
        let total = read_u16(message, sk_offset + 6)?;
        check_fragment_numbers(frag_no, total)?;
        (
            Some((frag_no, total)),
            sk_offset + GENERIC_HEADER_LEN + FRAGMENT_FIELDS_LEN,
        )
    } else {
        (None, sk_offset + GENERIC_HEADER_LEN)
    };
    Ok(SkView {
        first_inner,
        fragment,
        iv_start,
    })
}

type Opened = (u8, Option<(u16, u16)>, SecretBytes);

fn open_inner(
    keys: &SkKeys,
    message: &[u8],
    sk_offset: usize,
    fragment: bool,
) -> Result<Opened, CryptoError> {
    let view = parse_sk(message, sk_offset, fragment)?;
    let iv_len = keys.encr.iv_len();
    let icv_len = keys.icv_len();
    let enc_start = view.iv_start + iv_len;
    // Everything between the IV and the ICV is encrypted; it holds at least the Pad Length.
    let enc_end = message
        .len()
        .checked_sub(icv_len)
        .filter(|&end| end > enc_start)
        .ok_or(CryptoError::Malformed("SK payload too short"))?;
    let iv = &message[view.iv_start..enc_start];

    let mut plain = match keys.integ {
        Some(integ) => {
            if (enc_end - enc_start) % AES_BLOCK_LEN != 0 {
                return Err(CryptoError::Malformed("CBC ciphertext not block-aligned"));
            }
            // Integrity first: HMAC over header..Pad Length, before any decryption.
            if !integ.verify(
                keys.integ_key.expose(),
                &message[..enc_end],
                &message[enc_end..],
            ) {
                return Err(CryptoError::AuthenticationFailed);
            }
            let iv: &[u8; AES_BLOCK_LEN] = iv
                .try_into()
                .map_err(|_| CryptoError::Malformed("IV length"))?;
            let mut buf = Zeroizing::new(message[enc_start..enc_end].to_vec());
            aes_cbc_decrypt(keys.encr_key.expose(), iv, &mut buf)?;
            buf
        }
        None => {
            let (key, _) = keys.aead_key_and_salt()?;
            let nonce = keys.aead_nonce(iv)?;
            let mut buf = Zeroizing::new(message[enc_start..].to_vec());
            let n = aead_open(keys.encr, key, &nonce, &message[..view.iv_start], &mut buf)?;
            buf.truncate(n);
            buf
        }
    };

    let pad_len = usize::from(
        *plain
            .last()
            .ok_or(CryptoError::Malformed("empty SK plaintext"))?,
    );
    let body_len = plain
        .len()
        .checked_sub(pad_len + 1)
        .ok_or(CryptoError::Malformed("invalid SK padding"))?;
    plain.truncate(body_len);
    Ok((
        view.first_inner,
        view.fragment,
        SecretBytes::new(core::mem::take(&mut *plain)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_debug_is_redacted_and_lengths_checked() {
        let k = SkKeys::new(
            EncrAlg::AesCbc128,
            Some(IntegAlg::HmacSha256_128),
            &[0xab; 16],
            &[0xcd; 32],
        )
        .unwrap();
        let d = format!("{k:?}");
        assert!(
            d.contains("AesCbc128") && !d.contains("171") && !d.contains("ab"),
            "{d}"
        );
        assert_eq!(k.overhead(), 16 + 16 + 16);
        assert_eq!(
            SkKeys::new(EncrAlg::AesCbc128, None, &[0; 16], &[]).unwrap_err(),
            CryptoError::Malformed("INTEG must be absent iff ENCR is AEAD")
        );
        assert_eq!(
            SkKeys::new(EncrAlg::AesGcm16_128, None, &[0; 16], &[]).unwrap_err(),
            CryptoError::InvalidKeyLength
        );
        assert_eq!(
            SkKeys::new(
                EncrAlg::AesCbc256,
                Some(IntegAlg::HmacSha512_256),
                &[0; 32],
                &[0; 32]
            )
            .unwrap_err(),
            CryptoError::InvalidKeyLength
        );
        let g = SkKeys::new(EncrAlg::ChaCha20Poly1305, None, &[0; 36], &[]).unwrap();
        assert_eq!(g.overhead(), 25);
    }
}
