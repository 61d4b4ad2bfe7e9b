//! [`SecretBytes`]: an owned, zeroize-on-drop byte buffer for key material.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret key material (SKEYSEED, SK_*, KEYMAT, AUTH values, shared secrets).
///
/// The buffer is wiped when dropped, `Debug` prints only the length, and `Clone` is not
/// implemented so that copies of keys are always visible at the call site (see
/// [`SecretBytes::duplicate`]). Comparisons against other bytes go through
/// [`SecretBytes::ct_eq`], which runs in constant time.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Take ownership of `v`; it will be zeroized on drop.
    pub fn new(v: Vec<u8>) -> Self {
        Self(Zeroizing::new(v))
    }

    /// Copy `s` into a new secret buffer. The caller remains responsible for wiping `s`.
    pub fn from_slice(s: &[u8]) -> Self {
        Self::new(s.to_vec())
    }

    /// Borrow the secret bytes. Call sites should pass them straight into a primitive, never
    /// into a log or an error.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in octets (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if the buffer holds no octets (e.g. SK_ai/SK_ar with an AEAD cipher).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compare with `other` in constant time (for equal lengths; a length mismatch returns
    /// `false` immediately, the length not being secret).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_slice().ct_eq(other).into()
    }

    /// Make an explicit second copy.
    ///
    /// Not a `Clone` impl on purpose: the key schedule needs to keep SK_d both in the live
    /// IKE SA and in a resumption ticket / suspended session, and every such copy should be
    /// a deliberate, greppable decision.
    pub fn duplicate(&self) -> Self {
        Self::from_slice(&self.0)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretBytes::new(vec![0xab; 5]);
        let d = format!("{s:?}");
        assert_eq!(d, "SecretBytes(<5 bytes redacted>)");
        assert!(!d.to_lowercase().contains("ab"));
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        let s = SecretBytes::from_slice(b"abc");
        assert!(s.ct_eq(b"abc"));
        assert!(!s.ct_eq(b"abd"));
        assert!(!s.ct_eq(b"ab"));
        assert!(!s.ct_eq(b"abcd"));
        assert_eq!(s.duplicate().expose(), b"abc");
        assert_eq!(s.len(), 3);
        assert!(!s.is_empty());
        assert!(SecretBytes::new(Vec::new()).is_empty());
    }
}
