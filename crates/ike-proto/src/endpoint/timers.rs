//! The endpoint's timer index: every SA's next wakeup in one ordered set, so `poll_timeout` is
//! O(1) and `handle_timeout` touches only the SAs that are due, however many SAs exist.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::Endpoint;
use crate::sa::IkeSa;

/// Ordered wakeups of all SAs.
#[derive(Default)]
pub(super) struct TimerIndex {
    order: BTreeSet<(Instant, [u8; 8])>,
    by_spi: HashMap<[u8; 8], Instant>,
}

impl TimerIndex {
    fn set(&mut self, spi: [u8; 8], at: Option<Instant>) {
        if let Some(old) = self.by_spi.remove(&spi) {
            self.order.remove(&(old, spi));
        }
        if let Some(at) = at {
            self.order.insert((at, spi));
            self.by_spi.insert(spi, at);
        }
    }

    /// The earliest wakeup.
    pub(super) fn first(&self) -> Option<Instant> {
        self.order.first().map(|(t, _)| *t)
    }

    /// SPIs due at `now`, removed from the index (they are rescheduled after handling).
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<[u8; 8]> {
        let mut due = Vec::new();
        while let Some(&(t, spi)) = self.order.first() {
            if t > now {
                break;
            }
            self.order.pop_first();
            self.by_spi.remove(&spi);
            due.push(spi);
        }
        due
    }
}

impl Endpoint {
    /// Add an SA and schedule its timers.
    pub(super) fn insert_sa(&mut self, sa: IkeSa) {
        let spi = sa.local_spi();
        let at = sa.next_timeout(&self.shared.cfg);
        self.sas.insert(spi, Box::new(sa));
        self.timers.set(spi, at);
        self.index_identity(spi);
    }

    /// Remove an SA and its timers.
    pub(super) fn remove_sa(&mut self, spi: &[u8; 8]) -> Option<IkeSa> {
        self.timers.set(*spi, None);
        let sa = self.sas.remove(spi).map(|b| *b);
        if let Some(sa) = &sa {
            self.unindex_identity(sa, *spi);
        }
        if self.sas.capacity() > 1024 && self.sas.len() < self.sas.capacity() / 4 {
            self.sas.shrink_to(self.sas.len() * 2);
        }
        sa
    }

    /// Recompute an SA's next wakeup after it handled something.
    pub(super) fn reschedule(&mut self, spi: [u8; 8]) {
        let at = self
            .sas
            .get(&spi)
            .and_then(|sa| sa.next_timeout(&self.shared.cfg));
        self.timers.set(spi, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_entries_come_out_in_order_and_once() {
        let t0 = Instant::now();
        let mut ix = TimerIndex::default();
        ix.set([1; 8], Some(t0 + Duration::from_secs(3)));
        ix.set([2; 8], Some(t0 + Duration::from_secs(1)));
        ix.set([3; 8], Some(t0 + Duration::from_secs(2)));
        ix.set([3; 8], Some(t0 + Duration::from_secs(5))); // rescheduled
        assert_eq!(ix.first(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(
            ix.take_due(t0 + Duration::from_secs(3)),
            vec![[2; 8], [1; 8]]
        );
        assert!(ix.take_due(t0 + Duration::from_secs(3)).is_empty());
        ix.set([3; 8], None);
        assert_eq!(ix.first(), None);
    }
}
