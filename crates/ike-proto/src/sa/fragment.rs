//! IKE fragmentation (RFC 7383): splitting a protected message into SKF payloads and
//! reassembling received fragments, below the exchange logic.
//!
//! Every fragment is authenticated before it is stored; a set is bounded in count and bytes,
//! duplicates are ignored, a newer message or a re-fragmentation with more fragments replaces an
//! older incomplete set (§2.6.2), and an incomplete set is dropped after a timeout.

use std::time::{Duration, Instant};

use ike_crypto::SecretBytes;
use ike_wire::PayloadType;

/// Most fragments we accept for one message.
pub(crate) const MAX_FRAGMENTS: u16 = 64;
/// Most plaintext bytes we buffer for one message being reassembled.
pub(crate) const MAX_REASSEMBLY_BYTES: usize = 64 * 1024;
/// How long an incomplete set may wait for its missing fragments.
pub(crate) const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Fragments of one message being reassembled.
pub(crate) struct Reassembly {
    mid: u32,
    total: u16,
    first_inner: Option<PayloadType>,
    pieces: Vec<Option<SecretBytes>>,
    bytes: usize,
    /// When the first fragment arrived.
    pub started: Instant,
}

impl Reassembly {
    /// Plaintext bytes buffered so far.
    pub(crate) fn buffered(&self) -> usize {
        self.bytes
    }
}

/// What storing a fragment led to.
pub(crate) enum Stored {
    /// Still waiting for more.
    Incomplete,
    /// All there: the first inner payload type and the concatenated plaintext.
    Complete(PayloadType, SecretBytes),
    /// Refused (out of bounds, older message, fewer fragments than a set in progress).
    Rejected,
}

/// Store an authenticated fragment into `slot` (one slot per direction and SA).
pub(crate) fn store(
    slot: &mut Option<Reassembly>,
    now: Instant,
    mid: u32,
    first_inner: u8,
    number: u16,
    total: u16,
    plain: SecretBytes,
) -> Stored {
    if number == 0 || total == 0 || number > total || total > MAX_FRAGMENTS {
        return Stored::Rejected;
    }
    let restart = match slot.as_ref() {
        None => true,
        Some(r) if r.mid != mid => {
            // A newer message replaces an older incomplete one; an older one is ignored.
            if mid.wrapping_sub(r.mid) as i32 > 0 {
                true
            } else {
                return Stored::Rejected;
            }
        }
        // Same message re-fragmented smaller (RFC 7383 §2.5): more fragments replace fewer.
        Some(r) if total > r.total => true,
        Some(r) if total < r.total => return Stored::Rejected,
        Some(_) => false,
    };
    if restart {
        *slot = Some(Reassembly {
            mid,
            total,
            first_inner: None,
            pieces: (0..total).map(|_| None).collect(),
            bytes: 0,
            started: now,
        });
    }
    let r = slot.as_mut().expect("set above");
    let i = usize::from(number - 1);
    if r.pieces[i].is_some() {
        return Stored::Incomplete; // duplicate
    }
    if r.bytes + plain.len() > MAX_REASSEMBLY_BYTES {
        *slot = None;
        return Stored::Rejected;
    }
    if number == 1 {
        // Only the first fragment's Next Payload names the inner chain (§2.5).
        r.first_inner = Some(PayloadType::from(first_inner));
    }
    r.bytes += plain.len();
    r.pieces[i] = Some(plain);
    if r.pieces.iter().any(Option::is_none) {
        return Stored::Incomplete;
    }
    let r = slot.take().expect("present");
    let mut all = Vec::with_capacity(r.bytes);
    for p in r.pieces.into_iter().flatten() {
        all.extend_from_slice(p.expose());
    }
    Stored::Complete(
        r.first_inner.unwrap_or(PayloadType::NoNext),
        SecretBytes::new(all),
    )
}

/// Split `plain` into chunks of at most `chunk` bytes (at least one chunk).
pub(crate) fn split(plain: &[u8], chunk: usize) -> Vec<&[u8]> {
    if plain.is_empty() {
        return vec![plain];
    }
    plain.chunks(chunk.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> SecretBytes {
        SecretBytes::from_slice(b)
    }

    #[test]
    fn any_order_with_duplicates_completes_once() {
        let t = Instant::now();
        let mut slot = None;
        assert!(matches!(
            store(&mut slot, t, 5, 0, 3, 3, s(b"ghi")),
            Stored::Incomplete
        ));
        assert!(matches!(
            store(&mut slot, t, 5, 0, 3, 3, s(b"ghi")),
            Stored::Incomplete
        ));
        assert!(matches!(
            store(&mut slot, t, 5, 35, 1, 3, s(b"abc")),
            Stored::Incomplete
        ));
        match store(&mut slot, t, 5, 0, 2, 3, s(b"def")) {
            Stored::Complete(first, all) => {
                assert_eq!(first, PayloadType::IdInitiator);
                assert_eq!(all.expose(), b"abcdefghi");
            }
            _ => panic!("not complete"),
        }
        assert!(slot.is_none());
    }

    #[test]
    fn newer_message_and_refragmentation_replace_older_sets() {
        let t = Instant::now();
        let mut slot = None;
        let _ = store(&mut slot, t, 5, 35, 1, 2, s(b"old"));
        assert!(
            matches!(store(&mut slot, t, 4, 35, 2, 2, s(b"x")), Stored::Rejected),
            "older message ignored"
        );
        let _ = store(&mut slot, t, 6, 35, 1, 2, s(b"new"));
        assert!(
            matches!(store(&mut slot, t, 6, 0, 2, 2, s(b"!")), Stored::Complete(_, b) if b.expose() == b"new!")
        );
        let _ = store(&mut slot, t, 7, 35, 1, 2, s(b"a"));
        let _ = store(&mut slot, t, 7, 35, 1, 3, s(b"A")); // re-fragmented into 3
        assert!(
            matches!(store(&mut slot, t, 7, 0, 2, 2, s(b"b")), Stored::Rejected),
            "fewer than in progress"
        );
        let _ = store(&mut slot, t, 7, 0, 2, 3, s(b"B"));
        assert!(
            matches!(store(&mut slot, t, 7, 0, 3, 3, s(b"C")), Stored::Complete(_, b) if b.expose() == b"ABC")
        );
    }

    #[test]
    fn bounds_are_enforced() {
        let t = Instant::now();
        let mut slot = None;
        assert!(matches!(
            store(&mut slot, t, 1, 35, 0, 2, s(b"a")),
            Stored::Rejected
        ));
        assert!(matches!(
            store(&mut slot, t, 1, 35, 3, 2, s(b"a")),
            Stored::Rejected
        ));
        assert!(matches!(
            store(&mut slot, t, 1, 35, 1, MAX_FRAGMENTS + 1, s(b"a")),
            Stored::Rejected
        ));
        let big = vec![0u8; MAX_REASSEMBLY_BYTES / 2 + 1];
        let _ = store(&mut slot, t, 1, 35, 1, 3, SecretBytes::new(big.clone()));
        assert!(matches!(
            store(&mut slot, t, 1, 0, 2, 3, SecretBytes::new(big)),
            Stored::Rejected
        ));
        assert!(slot.is_none(), "an oversized set is dropped entirely");
    }

    #[test]
    fn split_sizes() {
        assert_eq!(split(b"abcdefg", 3), vec![&b"abc"[..], b"def", b"g"]);
        assert_eq!(split(b"", 3).len(), 1);
    }
}
