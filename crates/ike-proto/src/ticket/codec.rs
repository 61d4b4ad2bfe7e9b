//! The small strict binary codec shared by the ticket plaintext ([`super::ResumptionState`]), the
//! ticket key file ([`super::TicketKeyRing::to_bytes`]) and the suspended-session file
//! ([`crate::suspend::SuspendedSession`]).
//!
//! Big-endian integers and length-prefixed byte strings. The [`Reader`] checks every length
//! before slicing and hands out borrowed slices, so decoding never allocates more than the input
//! it was given; callers copy only what they keep. Formats built from it are private to Tessera
//! (RFC 5723 §1: the client never parses a ticket), so there is nothing to interoperate with —
//! only strictness matters.

use ike_crypto::{DhAlg, EncrAlg, IkeSuite, IntegAlg, PrfAlg};
use ike_wire::IdType;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::TicketError;
use crate::config::Identity;

/// Longest identity data, connection name or SK_d accepted by any of our formats. Bounds memory
/// and keeps a ticket well under [`super::MAX_TICKET_LEN`].
pub(crate) const MAX_FIELD_LEN: usize = 255;

/// Length of the corruption check appended to the persisted files.
pub(crate) const FILE_MAC_LEN: usize = 16;

/// Strict cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Start reading `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Octets not consumed yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Take exactly `n` octets.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], TicketError> {
        if self.rest.len() < n {
            return Err(TicketError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Take a fixed-size array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], TicketError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One octet.
    pub(crate) fn u8(&mut self) -> Result<u8, TicketError> {
        Ok(self.array::<1>()?[0])
    }

    /// Big-endian u16.
    pub(crate) fn u16(&mut self) -> Result<u16, TicketError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Big-endian u32.
    pub(crate) fn u32(&mut self) -> Result<u32, TicketError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Big-endian u64.
    pub(crate) fn u64(&mut self) -> Result<u64, TicketError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A u16-length-prefixed byte string of at most `max` octets. A longer length is
    /// [`TicketError::Invalid`] even when the bytes are present (bounded fields).
    pub(crate) fn vec16(
        &mut self,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], TicketError> {
        let n = usize::from(self.u16()?);
        if n > max {
            return Err(TicketError::Invalid(what));
        }
        self.bytes(n)
    }

    /// Succeed only if every octet was consumed.
    pub(crate) fn finish(self) -> Result<(), TicketError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TicketError::TrailingBytes)
        }
    }
}

/// Append-only encoder into a zeroizing buffer.
///
/// The buffer is allocated once with the capacity the caller computed: growing a `Vec` would
/// free the old allocation without wiping it, leaving copies of SK_d behind.
pub(crate) struct Writer {
    buf: Zeroizing<Vec<u8>>,
}

impl Writer {
    /// A writer whose buffer will not reallocate below `capacity` octets.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    /// Append raw octets.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// One octet.
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Big-endian u16.
    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    /// Big-endian u32.
    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    /// Big-endian u64.
    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    /// A u16-length-prefixed byte string. Inputs longer than `u16::MAX` are cut at the prefix's
    /// range, which no decoder here accepts anyway (every field is bounded far below it), so an
    /// over-long field fails closed on decode instead of panicking on encode.
    pub(crate) fn vec16(&mut self, b: &[u8]) {
        let n = b.len().min(usize::from(u16::MAX));
        self.u16(n as u16);
        self.bytes(&b[..n]);
    }

    /// Everything written so far.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// The finished encoding, still zeroized on drop.
    pub(crate) fn finish(mut self) -> ike_crypto::SecretBytes {
        ike_crypto::SecretBytes::new(core::mem::take(&mut *self.buf))
    }
}

/// Encoded size of an identity (type, length, data).
pub(crate) fn identity_len(id: &Identity) -> usize {
    1 + 2 + id.data.len()
}

/// Identity: type(1) | len(2) | data.
pub(crate) fn put_identity(w: &mut Writer, id: &Identity) {
    w.u8(u8::from(id.id_type));
    w.vec16(&id.data);
}

/// Read an identity written by [`put_identity`]; data is bounded by [`MAX_FIELD_LEN`].
pub(crate) fn get_identity(r: &mut Reader<'_>) -> Result<Identity, TicketError> {
    let id_type = IdType::from(r.u8()?);
    let data = r.vec16(MAX_FIELD_LEN, "identity too long")?.to_vec();
    Ok(Identity { id_type, data })
}

/// Encoded size of a suite.
pub(crate) const SUITE_LEN: usize = 10;

/// Suite: encr(2) | key bits(2, 0 = none) | prf(2) | integ(2, 0 = none) | dh(2), IANA numbers.
pub(crate) fn put_suite(w: &mut Writer, s: &IkeSuite) {
    w.u16(s.encr.id());
    w.u16(s.encr.key_bits_attr().unwrap_or(0));
    w.u16(s.prf.id());
    w.u16(s.integ.map_or(0, IntegAlg::id));
    w.u16(s.dh.id());
}

/// Read a suite written by [`put_suite`]; unknown algorithms and an AEAD/INTEG mismatch are
/// [`TicketError::Invalid`].
pub(crate) fn get_suite(r: &mut Reader<'_>) -> Result<IkeSuite, TicketError> {
    let encr_id = r.u16()?;
    let key_bits = r.u16()?;
    let prf = r.u16()?;
    let integ = r.u16()?;
    let dh = r.u16()?;
    let encr = EncrAlg::from_id(encr_id, (key_bits != 0).then_some(key_bits))
        .ok_or(TicketError::Invalid("unknown encryption algorithm"))?;
    let prf = PrfAlg::from_id(prf).ok_or(TicketError::Invalid("unknown PRF"))?;
    let integ = match integ {
        0 => None,
        id => {
            Some(IntegAlg::from_id(id).ok_or(TicketError::Invalid("unknown integrity algorithm"))?)
        }
    };
    let dh = DhAlg::from_id(dh).ok_or(TicketError::Invalid("unknown DH group"))?;
    let suite = IkeSuite {
        encr,
        prf,
        integ,
        dh,
    };
    suite
        .validate()
        .map_err(|_| TicketError::Invalid("INTEG must be absent iff ENCR is AEAD"))?;
    Ok(suite)
}

/// Read SK_d (u16-length-prefixed) and check it is exactly the suite PRF's key length, as the
/// key schedule produced it (RFC 7296 §2.14).
pub(crate) fn get_sk_d(
    r: &mut Reader<'_>,
    prf: PrfAlg,
) -> Result<ike_crypto::SecretBytes, TicketError> {
    let sk_d = r.vec16(MAX_FIELD_LEN, "SK_d too long")?;
    if sk_d.len() != prf.key_len() {
        return Err(TicketError::Invalid("SK_d length does not match the PRF"));
    }
    Ok(ike_crypto::SecretBytes::from_slice(sk_d))
}

/// The corruption check of a persisted file: HMAC-SHA-256 under a fixed, per-format label,
/// truncated to [`FILE_MAC_LEN`] octets.
///
/// This detects torn writes and bit rot, not attackers: anyone who can write the file knows the
/// label. The files are 0600 and their confidentiality is the file system's job.
pub(crate) fn file_mac(label: &[u8], data: &[u8]) -> [u8; FILE_MAC_LEN] {
    let full = PrfAlg::HmacSha256.prf(label, &[data]);
    let mut out = [0u8; FILE_MAC_LEN];
    out.copy_from_slice(&full.expose()[..FILE_MAC_LEN]);
    out
}

/// Check a [`file_mac`] in constant time.
pub(crate) fn verify_file_mac(label: &[u8], data: &[u8], mac: &[u8]) -> Result<(), TicketError> {
    if bool::from(file_mac(label, data).ct_eq(mac)) {
        Ok(())
    } else {
        Err(TicketError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg};

    #[test]
    fn reader_is_strict() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        assert_eq!(r.u8(), Ok(0x01));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u32(), Ok(0x0405_0607));
        assert_eq!(r.u8(), Err(TicketError::Truncated));
        r.finish().unwrap();

        let mut r = Reader::new(&[0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.u64(), Err(TicketError::Truncated));
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 7);
        assert_eq!(Reader::new(&[9]).finish(), Err(TicketError::TrailingBytes));
    }

    #[test]
    fn vec16_bounds() {
        let mut w = Writer::with_capacity(16);
        w.vec16(b"abc");
        let enc = w.finish();
        assert_eq!(enc.expose(), b"\x00\x03abc");
        let mut r = Reader::new(enc.expose());
        assert_eq!(r.vec16(3, "x"), Ok(&b"abc"[..]));
        let mut r = Reader::new(enc.expose());
        assert_eq!(r.vec16(2, "x"), Err(TicketError::Invalid("x")));
        let mut r = Reader::new(b"\x00\x04abc");
        assert_eq!(r.vec16(10, "x"), Err(TicketError::Truncated));
    }

    #[test]
    fn suite_round_trip_and_rejects() {
        let suites = [
            IkeSuite {
                encr: EncrAlg::AesGcm16_256,
                prf: PrfAlg::HmacSha256,
                integ: None,
                dh: DhAlg::Curve25519,
            },
            IkeSuite {
                encr: EncrAlg::AesCbc128,
                prf: PrfAlg::HmacSha512,
                integ: Some(IntegAlg::HmacSha512_256),
                dh: DhAlg::Modp2048,
            },
            IkeSuite {
                encr: EncrAlg::ChaCha20Poly1305,
                prf: PrfAlg::HmacSha384,
                integ: None,
                dh: DhAlg::Ecp384,
            },
        ];
        for s in suites {
            let mut w = Writer::with_capacity(SUITE_LEN);
            put_suite(&mut w, &s);
            assert_eq!(w.as_slice().len(), SUITE_LEN);
            let enc = w.finish();
            let mut r = Reader::new(enc.expose());
            assert_eq!(get_suite(&mut r), Ok(s));
            r.finish().unwrap();
        }
        // AES-GCM-256 with an INTEG: invalid pairing.
        let bad = [0, 20, 1, 0, 0, 5, 0, 12, 0, 31];
        assert!(matches!(
            get_suite(&mut Reader::new(&bad)),
            Err(TicketError::Invalid(_))
        ));
        // ChaCha20 with a key length attribute.
        let bad = [0, 28, 1, 0, 0, 5, 0, 0, 0, 31];
        assert!(matches!(
            get_suite(&mut Reader::new(&bad)),
            Err(TicketError::Invalid(_))
        ));
    }

    #[test]
    fn file_mac_detects_change() {
        let mac = file_mac(b"label", b"data");
        verify_file_mac(b"label", b"data", &mac).unwrap();
        assert_eq!(
            verify_file_mac(b"label", b"datA", &mac),
            Err(TicketError::Corrupt)
        );
        assert_eq!(
            verify_file_mac(b"other", b"data", &mac),
            Err(TicketError::Corrupt)
        );
        assert_eq!(
            verify_file_mac(b"label", b"data", &mac[..15]),
            Err(TicketError::Corrupt)
        );
    }
}
