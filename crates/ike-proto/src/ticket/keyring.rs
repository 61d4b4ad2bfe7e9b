//! [`TicketKeyRing`]: the gateway's rotating ticket keys (STYLE rule 14, after rustls'
//! `TicketRotator`; RFC 5723 §6.1, §9.5).
//!
//! Two generations: tickets are sealed with the current key only; the previous key still opens
//! tickets for one rotation period after it was retired, so a ticket stays valid between one and
//! two rotation periods after the key that sealed it was created (its own expiry, checked by the
//! caller, is usually shorter). Rotating and then dropping old keys gives timely erasure.
//!
//! The ring is a plain value: the sans-IO endpoint owns it and calls [`TicketKeyRing::maybe_rotate`]
//! from its timer, so there is no lock here.

use core::fmt;

use ike_crypto::cipher::{AEAD_NONCE_LEN, AEAD_TAG_LEN, aead_open, aead_seal};
use ike_crypto::{EncrAlg, SecretBytes};
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::TicketError;
use super::codec::{FILE_MAC_LEN, Reader, Writer, file_mac, verify_file_mac};

/// Longest ticket we seal or even try to open (checked before any cryptography).
///
/// IKE_SESSION_RESUME is never fragmented, so the ticket has to fit in one datagram next to Ni,
/// a COOKIE and the NAT detection notifies.
pub const MAX_TICKET_LEN: usize = 512;

/// Ticket header, bound as AAD: version(1) | reserved(3) | key_id(8) | nonce(12).
pub const TICKET_HEADER_LEN: usize = 4 + KEY_ID_LEN + AEAD_NONCE_LEN;

/// Octets a ticket adds to its plaintext: the header plus the AEAD tag.
pub const TICKET_OVERHEAD: usize = TICKET_HEADER_LEN + AEAD_TAG_LEN;

/// Size of the key file written by [`TicketKeyRing::to_bytes`] with both generations present
/// (the largest it gets).
pub const TICKET_KEY_FILE_MAX_LEN: usize = KEY_FILE_PREFIX_LEN + 2 * GENERATION_LEN + FILE_MAC_LEN;

const TICKET_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
/// The ticket AEAD: AES-256-GCM, whatever the IKE SA negotiated (RFC 5723 App. A.1: the ticket
/// algorithms have nothing to do with the SA's transforms).
const TICKET_AEAD: EncrAlg = EncrAlg::AesGcm16_256;
const KEY_LEN: usize = 32;

const KEY_FILE_MAGIC: &[u8; 4] = b"TSKR";
const KEY_FILE_VERSION: u8 = 1;
const KEY_FILE_MAC_LABEL: &[u8] = b"tessera ticket key file v1";
/// magic(4) | version(1) | rotation_secs(8) | generations(1).
const KEY_FILE_PREFIX_LEN: usize = 4 + 1 + 8 + 1;
/// key_id(8) | created(8) | key(32).
const GENERATION_LEN: usize = KEY_ID_LEN + 8 + KEY_LEN;

/// One ticket key with its id and creation time (Unix seconds).
struct Generation {
    id: [u8; KEY_ID_LEN],
    key: SecretBytes,
    created: u64,
}

impl Generation {
    fn random(created: u64, avoid: Option<&[u8; KEY_ID_LEN]>, rng: &mut dyn CryptoRngCore) -> Self {
        let mut id = [0u8; KEY_ID_LEN];
        // A repeated id would make the two generations ambiguous; 2^-64, but free to exclude.
        loop {
            rng.fill_bytes(&mut id);
            if avoid != Some(&id) {
                break;
            }
        }
        let mut key = vec![0u8; KEY_LEN];
        rng.fill_bytes(&mut key);
        Self {
            id,
            key: SecretBytes::new(key),
            created,
        }
    }

    fn id_matches(&self, id: &[u8]) -> bool {
        self.id.ct_eq(id).into()
    }
}

/// The gateway's ticket keys: a current and an optional previous generation.
///
/// `Debug` prints the key ids and times only.
pub struct TicketKeyRing {
    current: Generation,
    previous: Option<Generation>,
    rotation_secs: u64,
}

impl fmt::Debug for TicketKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Id<'a>(&'a Generation);
        impl fmt::Debug for Id<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0.id {
                    write!(f, "{b:02x}")?;
                }
                write!(f, "@{}", self.0.created)
            }
        }
        f.debug_struct("TicketKeyRing")
            .field("current", &Id(&self.current))
            .field("previous", &self.previous.as_ref().map(Id))
            .field("rotation_secs", &self.rotation_secs)
            .finish_non_exhaustive()
    }
}

impl TicketKeyRing {
    /// A fresh ring with one random key created at `unix_now`, rotated every `rotation_secs`
    /// (at least 1).
    ///
    /// `rotation_secs` should be at least the longest ticket lifetime issued (RFC 5723 §6.2: the
    /// ticket key lives much longer than a ticket), so that no ticket outlives its key.
    pub fn generate(
        unix_now: u64,
        rotation_secs: u64,
        rng: &mut dyn CryptoRngCore,
    ) -> TicketKeyRing {
        TicketKeyRing {
            current: Generation::random(unix_now, None, rng),
            previous: None,
            rotation_secs: rotation_secs.max(1),
        }
    }

    /// Rotate when the current key is `rotation_secs` old: it becomes the previous generation
    /// and a new random key becomes current; the former previous key, whose grace period (one
    /// period after its retirement) ends at that same moment, is erased.
    ///
    /// A current key found two periods old (the gateway was down, or this was not called) is
    /// erased outright instead of kept as previous: every ticket it could have sealed in time
    /// has expired.
    ///
    /// Returns true if the ring changed; the driver then persists it.
    pub fn maybe_rotate(&mut self, unix_now: u64, rng: &mut dyn CryptoRngCore) -> bool {
        if unix_now >= self.rotation_due() {
            let fresh = Generation::random(unix_now, Some(&self.current.id), rng);
            let retired = core::mem::replace(&mut self.current, fresh);
            let stale = unix_now
                >= retired
                    .created
                    .saturating_add(self.rotation_secs.saturating_mul(2));
            // Dropping a Generation wipes its key (SecretBytes zeroizes on drop).
            self.previous = (!stale).then_some(retired);
            return true;
        }
        // The previous key's grace ends exactly when the current key is due, so there is
        // nothing else to erase before then.
        false
    }

    /// Change the rotation period (e.g. after a configuration change); takes effect for the
    /// next rotation and the previous key's grace window. Clamped to at least one second.
    pub fn set_rotation_secs(&mut self, rotation_secs: u64) {
        self.rotation_secs = rotation_secs.max(1);
    }

    /// Unix time of the next change [`TicketKeyRing::maybe_rotate`] will make (rotation of the
    /// current key, which coincides with the end of the previous key's grace period).
    pub fn next_rotation(&self) -> u64 {
        self.rotation_due()
    }

    /// The rotation period in seconds.
    pub fn rotation_secs(&self) -> u64 {
        self.rotation_secs
    }

    /// The id of the key new tickets are sealed with.
    pub fn current_key_id(&self) -> [u8; 8] {
        self.current.id
    }

    /// The id of the previous generation, while it is held.
    pub fn previous_key_id(&self) -> Option<[u8; 8]> {
        self.previous.as_ref().map(|g| g.id)
    }

    fn rotation_due(&self) -> u64 {
        self.current.created.saturating_add(self.rotation_secs)
    }

    /// The previous key opens tickets for one period after it was retired, i.e. after the
    /// current key was created.
    fn previous_in_grace(&self, unix_now: u64) -> bool {
        unix_now < self.rotation_due()
    }

    /// Seal `plaintext` (an encoded [`super::ResumptionState`]) under the current key.
    ///
    /// Ticket bytes: `version(1)=1 | reserved(3)=0 | key_id(8) | nonce(12, random) |
    /// AES-256-GCM(plaintext) | tag(16)`, the 24-octet header being the AAD. A result longer than
    /// [`MAX_TICKET_LEN`] is [`TicketError::TooLong`].
    pub fn seal(
        &self,
        plaintext: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, TicketError> {
        let total = TICKET_OVERHEAD + plaintext.len();
        if total > MAX_TICKET_LEN {
            return Err(TicketError::TooLong);
        }
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        // Exact capacity: the plaintext is copied in and encrypted in place, and a reallocation
        // would leave an unwiped plaintext copy behind.
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&[TICKET_VERSION, 0, 0, 0]);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let (aad, body) = out.split_at_mut(TICKET_HEADER_LEN);
        let tag = match aead_seal(TICKET_AEAD, self.current.key.expose(), &nonce, aad, body) {
            Ok(tag) => tag,
            Err(_) => {
                zeroize::Zeroize::zeroize(&mut out);
                return Err(TicketError::Invalid("ticket sealing failed"));
            }
        };
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Open a ticket sealed by [`TicketKeyRing::seal`] under the current key, or under the
    /// previous key within its grace period.
    ///
    /// Any failure (too short, longer than [`MAX_TICKET_LEN`] — rejected before any
    /// cryptography —, unknown version or key id, previous key past its grace, bad tag) is the
    /// same opaque `None`. The caller still checks the decoded state's own expiry.
    pub fn open(&self, ticket: &[u8], unix_now: u64) -> Option<SecretBytes> {
        if ticket.len() < TICKET_OVERHEAD || ticket.len() > MAX_TICKET_LEN {
            return None;
        }
        let (header, ct_and_tag) = ticket.split_at(TICKET_HEADER_LEN);
        // The reserved octets are ignored here (RFC 5723 App. A.1) but still authenticated as AAD.
        if header[0] != TICKET_VERSION {
            return None;
        }
        let key_id = &header[4..4 + KEY_ID_LEN];
        let generation = if self.current.id_matches(key_id) {
            &self.current
        } else {
            match &self.previous {
                Some(p) if p.id_matches(key_id) && self.previous_in_grace(unix_now) => p,
                _ => return None,
            }
        };
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        nonce.copy_from_slice(&header[4 + KEY_ID_LEN..]);
        // Zeroizing from the start: on a failed open the buffer contents are unspecified.
        let mut buf = Zeroizing::new(ct_and_tag.to_vec());
        let n = aead_open(
            TICKET_AEAD,
            generation.key.expose(),
            &nonce,
            header,
            &mut buf,
        )
        .ok()?;
        buf.truncate(n);
        Some(SecretBytes::new(core::mem::take(&mut *buf)))
    }

    /// The persistent form: `b"TSKR" | version(1)=1 | rotation_secs(8) | count(1) |
    /// count × (key_id(8) | created(8) | key(32)) | mac(16)`, current generation first; the MAC
    /// is HMAC-SHA-256 under a fixed label, truncated, and detects corruption only (the file is
    /// 0600; see [`crate::ticket`]).
    pub fn to_bytes(&self) -> SecretBytes {
        let mut w = Writer::with_capacity(TICKET_KEY_FILE_MAX_LEN);
        w.bytes(KEY_FILE_MAGIC);
        w.u8(KEY_FILE_VERSION);
        w.u64(self.rotation_secs);
        w.u8(1 + u8::from(self.previous.is_some()));
        for g in core::iter::once(&self.current).chain(&self.previous) {
            w.bytes(&g.id);
            w.u64(g.created);
            w.bytes(g.key.expose());
        }
        let mac = file_mac(KEY_FILE_MAC_LABEL, w.as_slice());
        w.bytes(&mac);
        w.finish()
    }

    /// Load the form written by [`TicketKeyRing::to_bytes`]. Truncated input, trailing bytes,
    /// a failed integrity check, a wrong magic or version and impossible values are errors.
    pub fn from_bytes(b: &[u8]) -> Result<TicketKeyRing, TicketError> {
        if b.len() > TICKET_KEY_FILE_MAX_LEN {
            return Err(TicketError::TooLong);
        }
        let mut r = Reader::new(b);
        if r.bytes(4)? != KEY_FILE_MAGIC || r.u8()? != KEY_FILE_VERSION {
            return Err(TicketError::BadVersion);
        }
        let rotation_secs = r.u64()?;
        let count = r.u8()?;
        if !(1..=2).contains(&count) {
            return Err(TicketError::Invalid(
                "key file must hold one or two generations",
            ));
        }
        let mut gens = Vec::with_capacity(2);
        for _ in 0..count {
            let id = r.array::<KEY_ID_LEN>()?;
            let created = r.u64()?;
            let key = SecretBytes::from_slice(r.bytes(KEY_LEN)?);
            gens.push(Generation { id, key, created });
        }
        let body_len = b.len() - r.remaining();
        let mac = r.bytes(FILE_MAC_LEN)?;
        r.finish()?;
        verify_file_mac(KEY_FILE_MAC_LABEL, &b[..body_len], mac)?;
        if rotation_secs == 0 {
            return Err(TicketError::Invalid("rotation period is zero"));
        }
        let previous = if count == 2 { gens.pop() } else { None };
        let current = gens.pop().ok_or(TicketError::Invalid("no current key"))?;
        if previous.as_ref().is_some_and(|p| p.id == current.id) {
            return Err(TicketError::Invalid(
                "both generations have the same key id",
            ));
        }
        Ok(TicketKeyRing {
            current,
            previous,
            rotation_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const T0: u64 = 1_700_000_000;
    const HOUR: u64 = 3600;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(7)
    }

    #[test]
    fn seal_open_round_trip_and_layout() {
        let mut rng = rng();
        let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let t = ring.seal(b"resumption state", &mut rng).unwrap();
        assert_eq!(t.len(), TICKET_OVERHEAD + 16);
        assert_eq!(&t[..4], &[1, 0, 0, 0]);
        assert_eq!(&t[4..12], &ring.current_key_id());
        // Plaintext does not appear in the ticket.
        assert!(!t.windows(10).any(|w| w == b"resumption"));
        assert_eq!(ring.open(&t, T0).unwrap().expose(), b"resumption state");
        // Random nonce: sealing twice gives different tickets.
        let t2 = ring.seal(b"resumption state", &mut rng).unwrap();
        assert_ne!(t[12..24], t2[12..24]);
        assert_ne!(t, t2);
        // Empty plaintext is fine too.
        let e = ring.seal(b"", &mut rng).unwrap();
        assert_eq!(ring.open(&e, T0).unwrap().len(), 0);
    }

    #[test]
    fn rotation_and_grace() {
        let mut rng = rng();
        let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let first = ring.current_key_id();
        let t1 = ring.seal(b"one", &mut rng).unwrap();
        assert_eq!(ring.next_rotation(), T0 + HOUR);
        assert!(!ring.maybe_rotate(T0 + HOUR - 1, &mut rng));
        assert_eq!(ring.current_key_id(), first);

        assert!(ring.maybe_rotate(T0 + HOUR, &mut rng));
        assert_ne!(ring.current_key_id(), first);
        assert_eq!(ring.previous_key_id(), Some(first));
        assert_eq!(ring.next_rotation(), T0 + 2 * HOUR);
        // The previous generation opens within its grace period, not after.
        assert!(ring.open(&t1, T0 + HOUR).is_some());
        assert!(ring.open(&t1, T0 + 2 * HOUR - 1).is_some());
        assert!(ring.open(&t1, T0 + 2 * HOUR).is_none());
        // New tickets use the new key.
        let t2 = ring.seal(b"two", &mut rng).unwrap();
        assert_eq!(&t2[4..12], &ring.current_key_id());

        // Next rotation drops the first key for good.
        assert!(ring.maybe_rotate(T0 + 2 * HOUR, &mut rng));
        assert!(ring.open(&t1, T0 + 2 * HOUR).is_none());
        assert!(ring.open(&t2, T0 + 2 * HOUR).is_some());
        assert_ne!(ring.previous_key_id(), Some(first));
    }

    #[test]
    fn late_rotation_erases_stale_key() {
        let mut rng = rng();
        let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let t1 = ring.seal(b"one", &mut rng).unwrap();
        // Down for a day: the old current key is not kept as previous.
        assert!(ring.maybe_rotate(T0 + 24 * HOUR, &mut rng));
        assert_eq!(ring.previous_key_id(), None);
        assert!(ring.open(&t1, T0 + 24 * HOUR).is_none());
        assert_eq!(ring.next_rotation(), T0 + 25 * HOUR);
    }

    #[test]
    fn rejects_before_crypto() {
        let mut rng = rng();
        let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let t = ring.seal(&[7u8; 100], &mut rng).unwrap();
        assert!(ring.open(&t[..TICKET_OVERHEAD - 1], T0).is_none());
        assert!(ring.open(&[], T0).is_none());
        let long = ring
            .seal(&[0u8; MAX_TICKET_LEN - TICKET_OVERHEAD], &mut rng)
            .unwrap();
        assert_eq!(long.len(), MAX_TICKET_LEN);
        assert!(ring.open(&long, T0).is_some());
        assert_eq!(
            ring.seal(&[0u8; MAX_TICKET_LEN - TICKET_OVERHEAD + 1], &mut rng),
            Err(TicketError::TooLong)
        );
        let mut over = long.clone();
        over.push(0);
        assert!(ring.open(&over, T0).is_none());
        let mut v2 = t.clone();
        v2[0] = 2;
        assert!(ring.open(&v2, T0).is_none());
    }

    /// A ticket built by hand with a genuine tag under the ring's current key.
    fn hand_sealed(ring: &TicketKeyRing, prefix: [u8; 4], body_len: usize) -> Vec<u8> {
        let nonce = [9u8; AEAD_NONCE_LEN];
        let mut t = prefix.to_vec();
        t.extend_from_slice(&ring.current.id);
        t.extend_from_slice(&nonce);
        let mut body = vec![0u8; body_len];
        let tag = aead_seal(
            TICKET_AEAD,
            ring.current.key.expose(),
            &nonce,
            &t,
            &mut body,
        )
        .unwrap();
        t.extend_from_slice(&body);
        t.extend_from_slice(&tag);
        t
    }

    #[test]
    fn checks_before_crypto_refuse_genuine_tags() {
        // Each ticket below authenticates; only the pre-checks can refuse it.
        let mut rng = rng();
        let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let max_body = MAX_TICKET_LEN - TICKET_OVERHEAD;
        assert!(
            ring.open(&hand_sealed(&ring, [1, 0, 0, 0], max_body), T0)
                .is_some()
        );
        let over = hand_sealed(&ring, [1, 0, 0, 0], max_body + 1);
        assert_eq!(over.len(), MAX_TICKET_LEN + 1);
        assert!(ring.open(&over, T0).is_none());
        assert!(
            ring.open(&hand_sealed(&ring, [2, 0, 0, 0], 10), T0)
                .is_none()
        );
        // Reserved octets are ignored on receipt (RFC 5723 App. A.1), though authenticated.
        assert!(
            ring.open(&hand_sealed(&ring, [1, 0xff, 0, 1], 10), T0)
                .is_some()
        );
    }

    #[test]
    fn key_file_round_trip() {
        let mut rng = rng();
        let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let one = ring.to_bytes();
        assert_eq!(one.len(), TICKET_KEY_FILE_MAX_LEN - GENERATION_LEN);
        let t1 = ring.seal(b"one", &mut rng).unwrap();
        ring.maybe_rotate(T0 + HOUR, &mut rng);
        let t2 = ring.seal(b"two", &mut rng).unwrap();
        let two = ring.to_bytes();
        assert_eq!(two.len(), TICKET_KEY_FILE_MAX_LEN);
        let back = TicketKeyRing::from_bytes(two.expose()).unwrap();
        assert_eq!(back.current_key_id(), ring.current_key_id());
        assert_eq!(back.previous_key_id(), ring.previous_key_id());
        assert_eq!(back.next_rotation(), ring.next_rotation());
        assert_eq!(back.rotation_secs(), HOUR);
        assert_eq!(back.open(&t1, T0 + HOUR).unwrap().expose(), b"one");
        assert_eq!(back.open(&t2, T0 + HOUR).unwrap().expose(), b"two");
        assert_eq!(back.to_bytes().expose(), two.expose());
        let back1 = TicketKeyRing::from_bytes(one.expose()).unwrap();
        assert_eq!(back1.previous_key_id(), None);
        assert_eq!(back1.open(&t1, T0).unwrap().expose(), b"one");
    }

    #[test]
    fn key_file_rejects_damage() {
        let mut rng = rng();
        let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        ring.maybe_rotate(T0 + HOUR, &mut rng);
        let good = ring.to_bytes();
        let good = good.expose();
        for n in 0..good.len() {
            assert!(
                TicketKeyRing::from_bytes(&good[..n]).is_err(),
                "truncated to {n}"
            );
        }
        for bit in 0..good.len() * 8 {
            let mut b = good.to_vec();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(TicketKeyRing::from_bytes(&b).is_err(), "bit {bit}");
        }
        let mut b = good.to_vec();
        b.push(0);
        assert_eq!(
            TicketKeyRing::from_bytes(&b).err(),
            Some(TicketError::TooLong)
        );
        // Trailing byte after a one-generation file.
        let one = TicketKeyRing::generate(T0, HOUR, &mut rng).to_bytes();
        let mut b = one.expose().to_vec();
        b.push(0);
        assert_eq!(
            TicketKeyRing::from_bytes(&b).err(),
            Some(TicketError::TrailingBytes)
        );
        // A flipped key bit is caught by the MAC.
        let mut b = good.to_vec();
        b[KEY_FILE_PREFIX_LEN + 20] ^= 1;
        assert_eq!(
            TicketKeyRing::from_bytes(&b).err(),
            Some(TicketError::Corrupt)
        );
        let mut b = good.to_vec();
        b[0] = b'X';
        assert_eq!(
            TicketKeyRing::from_bytes(&b).err(),
            Some(TicketError::BadVersion)
        );
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let mut rng = rng();
        let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
        let d = format!("{ring:?}");
        let id_hex: String = ring
            .current_key_id()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(d.contains(&id_hex), "{d}");
        let key_hex: String = ring
            .current
            .key
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!d.contains(&key_hex[..8]), "{d}");
        assert!(
            !d.contains(&format!("{:?}", ring.current.key.expose())),
            "{d}"
        );
    }
}
