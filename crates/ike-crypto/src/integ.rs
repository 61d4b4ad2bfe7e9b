//! Integrity transforms: HMAC-SHA-2 truncated to half the hash length (RFC 4868 §2.3).

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::IntegAlg;

impl IntegAlg {
    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256_128 => hmac::HMAC_SHA256,
            Self::HmacSha384_192 => hmac::HMAC_SHA384,
            Self::HmacSha512_256 => hmac::HMAC_SHA512,
        }
    }

    /// Compute the ICV of `data` under `key`: the HMAC output truncated to
    /// [`IntegAlg::icv_len`] octets.
    ///
    /// The ICV is public once sent, so a plain `Vec` is returned. The key length is not
    /// checked here (HMAC accepts any); the key schedule always supplies [`IntegAlg::key_len`].
    pub fn compute(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let tag = hmac::sign(&key, data);
        // tag_len ≥ icv_len for every variant (full HMAC output is twice the ICV).
        tag.as_ref()
            .get(..self.icv_len())
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// Check a received ICV in constant time. A wrong-length `icv` fails.
    pub fn verify(self, key: &[u8], data: &[u8], icv: &[u8]) -> bool {
        let expected = self.compute(key, data);
        // Length is public (fixed by the algorithm); only the content comparison is secret.
        expected.len() == icv.len() && bool::from(expected.as_slice().ct_eq(icv))
    }
}
