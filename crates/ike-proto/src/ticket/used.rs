//! [`UsedTickets`]: the gateway's anti-replay log (RFC 5723 §4.3.1, §9.10; conformance #12).
//!
//! A ticket id is entered when the resumed IKE_AUTH succeeds and kept until the ticket's own
//! expiry, after which the ticket is refused anyway. Memory is bounded by a capacity; when the log
//! is full of live entries it refuses new ones and the caller refuses the resume, because
//! forgetting a live entry would re-open that ticket for replay (after quinn-proto's `TokenLog`).

use std::collections::HashMap;

/// Ticket id → expiry (Unix seconds) of tickets already used for a successful resume.
#[derive(Debug)]
pub struct UsedTickets {
    entries: HashMap<[u8; 16], u64>,
    capacity: usize,
}

impl UsedTickets {
    /// An empty log holding at most `capacity` live entries (0 refuses every insert, so no
    /// resumption succeeds).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// True if `id` was used and its ticket has not expired yet (`unix_now < expiry`).
    pub fn contains(&self, id: &[u8; 16], unix_now: u64) -> bool {
        self.entries.get(id).is_some_and(|&exp| unix_now < exp)
    }

    /// Record `id` as used until `expires_at`.
    ///
    /// A ticket already expired needs no entry (it is refused for its expiry) and is accepted
    /// without being stored. When the log is full, expired entries are purged first; if it is
    /// still full, the insert is refused (`false`) and the caller must refuse the resume (fail
    /// closed) rather than forget a live entry.
    pub fn insert(&mut self, id: [u8; 16], expires_at: u64, unix_now: u64) -> bool {
        if expires_at <= unix_now {
            return true;
        }
        if let Some(exp) = self.entries.get_mut(&id) {
            *exp = (*exp).max(expires_at);
            return true;
        }
        if self.entries.len() >= self.capacity {
            self.purge(unix_now);
            if self.entries.len() >= self.capacity {
                return false;
            }
        }
        self.entries.insert(id, expires_at);
        true
    }

    /// Drop every expired entry (also done by [`UsedTickets::insert`] when full).
    pub fn purge(&mut self, unix_now: u64) {
        self.entries.retain(|_, &mut exp| unix_now < exp);
    }

    /// Number of entries held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> [u8; 16] {
        [n; 16]
    }

    #[test]
    fn contains_until_expiry() {
        let mut u = UsedTickets::new(4);
        assert!(u.is_empty());
        assert!(u.insert(id(1), 100, 10));
        assert!(u.contains(&id(1), 10));
        assert!(u.contains(&id(1), 99));
        assert!(!u.contains(&id(1), 100));
        assert!(!u.contains(&id(2), 10));
        // Re-insert keeps the later expiry.
        assert!(u.insert(id(1), 50, 10));
        assert!(u.contains(&id(1), 99));
        assert_eq!(u.len(), 1);
    }

    #[test]
    fn expired_ticket_needs_no_entry() {
        let mut u = UsedTickets::new(1);
        assert!(u.insert(id(1), 10, 10));
        assert_eq!(u.len(), 0);
    }

    #[test]
    fn capacity_purge_and_fail_closed() {
        let mut u = UsedTickets::new(3);
        assert!(u.insert(id(1), 100, 0));
        assert!(u.insert(id(2), 200, 0));
        assert!(u.insert(id(3), 300, 0));
        // Full of live entries: refused, nothing forgotten.
        assert!(!u.insert(id(4), 400, 50));
        assert_eq!(u.len(), 3);
        assert!(u.contains(&id(1), 50) && u.contains(&id(2), 50) && u.contains(&id(3), 50));
        // Once id 1 expired, its slot is reclaimed.
        assert!(u.insert(id(4), 400, 100));
        assert_eq!(u.len(), 3);
        assert!(!u.contains(&id(1), 100));
        assert!(u.contains(&id(4), 100));
        // An existing id can always be refreshed, even when full.
        assert!(u.insert(id(4), 500, 100));
        // Capacity zero refuses everything live.
        assert!(!UsedTickets::new(0).insert(id(9), 10, 0));
        u.purge(1000);
        assert!(u.is_empty());
        assert_eq!(u.capacity(), 3);
    }
}
