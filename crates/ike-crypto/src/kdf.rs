//! IKEv2 key schedules: SKEYSEED (fresh, rekey, RFC 5723 resumption), the seven IKE SA keys,
//! and Child SA KEYMAT.
//!
//! - Fresh: <https://www.rfc-editor.org/rfc/rfc7296#section-2.14>
//! - Child SA: <https://www.rfc-editor.org/rfc/rfc7296#section-2.17>
//! - IKE SA rekey: <https://www.rfc-editor.org/rfc/rfc7296#section-2.18>
//! - Resumption: <https://www.rfc-editor.org/rfc/rfc5723#section-5.1>

use core::fmt;

use crate::prf::PrfPlus;
use crate::{CryptoError, EncrAlg, IkeSuite, IntegAlg, PrfAlg, SecretBytes};

/// The label RFC 5723 §5.1 puts ahead of the nonces: 10 ASCII octets, no terminator.
const RESUMPTION_LABEL: &[u8] = b"Resumption";

/// SKEYSEED of a new IKE SA: `prf(Ni | Nr, g^ir)` (RFC 7296 §2.14).
///
/// `ni`/`nr` are the full nonce data (the 64-bit truncation in §2.14 applies only to
/// AES-XCBC/CMAC PRFs, which we do not implement).
pub fn skeyseed_fresh(prf: PrfAlg, ni: &[u8], nr: &[u8], g_ir: &[u8]) -> SecretBytes {
    let mut key = Vec::with_capacity(ni.len() + nr.len());
    key.extend_from_slice(ni);
    key.extend_from_slice(nr);
    prf.prf(&key, &[g_ir])
}

/// SKEYSEED of a rekeyed IKE SA: `prf(SK_d(old), g^ir(new) | Ni | Nr)` (RFC 7296 §2.18).
///
/// `prf_old` is the PRF of the SA being rekeyed, not the newly negotiated one.
pub fn skeyseed_rekey(
    prf_old: PrfAlg,
    sk_d_old: &[u8],
    g_ir_new: &[u8],
    ni: &[u8],
    nr: &[u8],
) -> SecretBytes {
    prf_old.prf(sk_d_old, &[g_ir_new, ni, nr])
}

/// SKEYSEED of a resumed IKE SA: `prf(SK_d(old), "Resumption" | Ni | Nr)` (RFC 5723 §5.1).
///
/// `prf` is the PRF recorded in the ticket; `ni`/`nr` are the IKE_SESSION_RESUME nonces.
pub fn skeyseed_resume(prf: PrfAlg, sk_d_old: &[u8], ni: &[u8], nr: &[u8]) -> SecretBytes {
    prf.prf(sk_d_old, &[RESUMPTION_LABEL, ni, nr])
}

/// The seven keys of an IKE SA (RFC 7296 §2.14). `…i` keys protect traffic from the original
/// initiator, `…r` keys traffic from the original responder.
pub struct IkeKeys {
    /// Key for deriving Child SA keys, rekey SKEYSEED and resumption SKEYSEED.
    pub sk_d: SecretBytes,
    /// Integrity key, initiator → responder (empty with AEAD).
    pub sk_ai: SecretBytes,
    /// Integrity key, responder → initiator (empty with AEAD).
    pub sk_ar: SecretBytes,
    /// Encryption key (plus salt for AEAD), initiator → responder.
    pub sk_ei: SecretBytes,
    /// Encryption key (plus salt for AEAD), responder → initiator.
    pub sk_er: SecretBytes,
    /// Key for the initiator's AUTH MACed-ID (and resumed AUTH).
    pub sk_pi: SecretBytes,
    /// Key for the responder's AUTH MACed-ID (and resumed AUTH).
    pub sk_pr: SecretBytes,
}

impl fmt::Debug for IkeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lengths only: useful for debugging a key-length mix-up, and nothing else leaks.
        f.debug_struct("IkeKeys")
            .field("sk_d", &self.sk_d)
            .field("sk_ai", &self.sk_ai)
            .field("sk_ar", &self.sk_ar)
            .field("sk_ei", &self.sk_ei)
            .field("sk_er", &self.sk_er)
            .field("sk_pi", &self.sk_pi)
            .field("sk_pr", &self.sk_pr)
            .finish()
    }
}

/// Derive `{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED,
/// Ni | Nr | SPIi | SPIr)` with the suite's PRF (RFC 7296 §2.14, RFC 5723 §5.1).
///
/// SK_d/SK_pi/SK_pr take the PRF's preferred key length, SK_a* the INTEG key length (0 with
/// AEAD), SK_e* the cipher key plus salt. For a rekey, pass the *new* suite, SPIs and nonces;
/// for a resumption, the ticket's suite and the IKE_SESSION_RESUME SPIs and nonces.
pub fn derive_ike_keys(
    suite: &IkeSuite,
    skeyseed: &[u8],
    ni: &[u8],
    nr: &[u8],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> Result<IkeKeys, CryptoError> {
    suite.validate()?;
    let prf_len = suite.prf.key_len();
    let integ_len = suite.integ.map_or(0, IntegAlg::key_len);
    let encr_len = suite.encr.key_material_len();
    let mut stream = PrfPlus::new(suite.prf, skeyseed, &[ni, nr, spi_i, spi_r]);
    Ok(IkeKeys {
        sk_d: stream.take(prf_len)?,
        sk_ai: stream.take(integ_len)?,
        sk_ar: stream.take(integ_len)?,
        sk_ei: stream.take(encr_len)?,
        sk_er: stream.take(encr_len)?,
        sk_pi: stream.take(prf_len)?,
        sk_pr: stream.take(prf_len)?,
    })
}

/// Keys of one Child SA pair. `…_i` keys protect the initiator → responder SA (the SA whose
/// inbound side is at the responder), `…_r` keys the responder → initiator SA.
pub struct ChildKeys {
    /// Encryption key (plus 4-octet salt for AES-GCM / ChaCha20-Poly1305), initiator → responder.
    pub encr_i: SecretBytes,
    /// Integrity key, initiator → responder (empty with AEAD).
    pub integ_i: SecretBytes,
    /// Encryption key (plus salt for AEAD), responder → initiator.
    pub encr_r: SecretBytes,
    /// Integrity key, responder → initiator (empty with AEAD).
    pub integ_r: SecretBytes,
}

impl fmt::Debug for ChildKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildKeys")
            .field("encr_i", &self.encr_i)
            .field("integ_i", &self.integ_i)
            .field("encr_r", &self.encr_r)
            .field("integ_r", &self.integ_r)
            .finish()
    }
}

/// Derive Child SA keys: `KEYMAT = prf+(SK_d, [g^ir(new) |] Ni | Nr)` (RFC 7296 §2.17), cut
/// in the order encr_i, integ_i, encr_r, integ_r.
///
/// For the first Child SA the nonces are those of IKE_SA_INIT (or IKE_SESSION_RESUME after a
/// resumption); for CREATE_CHILD_SA those of that exchange, with `g_ir` when PFS is used.
pub fn derive_child_keys(
    prf: PrfAlg,
    sk_d: &[u8],
    g_ir: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    encr: EncrAlg,
    integ: Option<IntegAlg>,
) -> Result<ChildKeys, CryptoError> {
    if encr.is_aead() && integ.is_some() {
        // RFC 4303 §3.2.3 / RFC 7296 §3.3: a combined-mode cipher carries its own ICV.
        return Err(CryptoError::Malformed("INTEG given with an AEAD cipher"));
    }
    let encr_len = encr.key_material_len();
    let integ_len = integ.map_or(0, IntegAlg::key_len);
    let mut stream = match g_ir {
        Some(g) => PrfPlus::new(prf, sk_d, &[g, ni, nr]),
        None => PrfPlus::new(prf, sk_d, &[ni, nr]),
    };
    Ok(ChildKeys {
        encr_i: stream.take(encr_len)?,
        integ_i: stream.take(integ_len)?,
        encr_r: stream.take(encr_len)?,
        integ_r: stream.take(integ_len)?,
    })
}
