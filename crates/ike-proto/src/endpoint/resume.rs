//! RFC 5723 at the endpoint: the gateway's ticket key ring, and the client's suspend / resume
//! commands with its store of suspended sessions.
//!
//! Suspending *replaces* the IKE SA by a [`SuspendedSession`] value: the SA and its Child SAs
//! are gone, keys are moved (never copied) into the value, and nothing stale (ports, NAT state,
//! message IDs) survives; the gateway is not told. Resuming builds a brand-new IKE SA from it.

use std::time::Instant;

use super::Endpoint;
use crate::config::Shard;
use crate::error::{CommandError, SaError};
use crate::event::Event;
use crate::sa::IkeSa;
use crate::suspend::SuspendedSession;
use crate::ticket::TicketKeyRing;

impl Endpoint {
    /// Install the gateway's ticket key ring (loaded from the key file or freshly generated).
    pub fn set_ticket_keys(&mut self, ring: TicketKeyRing) {
        self.shared.tickets.ring = Some(ring);
    }

    /// The ticket key ring, for persisting it.
    pub fn ticket_keys(&self) -> Option<&TicketKeyRing> {
        self.shared.tickets.ring.as_ref()
    }

    /// Number of entries in the used-ticket log.
    pub fn used_tickets(&self) -> usize {
        self.shared.tickets.used.len()
    }

    pub(super) fn rotate_ticket_keys(&mut self, now: Instant) {
        let unix = self.unix_at(now);
        let s = &mut self.shared;
        if !s.cfg.rotate_ticket_keys {
            return;
        }
        if let Some(ring) = &mut s.tickets.ring {
            if ring.maybe_rotate(unix, &mut s.rng) {
                tracing::info!("ticket keys rotated");
                s.events.push_back(Event::TicketKeysRotated);
            }
        }
    }

    /// Suspend the established IKE SA of connection `name` (client side): it is replaced by a
    /// [`SuspendedSession`] held by the endpoint; the gateway is not told. Needs a ticket.
    pub fn suspend(&mut self, now: Instant, name: &str) -> Result<&SuspendedSession, CommandError> {
        let spi = self
            .sas
            .iter()
            .find(|(_, sa)| {
                sa.conn.name == name && sa.is_established() && !sa.gateway && !sa.superseded
            })
            .map(|(k, _)| *k)
            .ok_or_else(|| CommandError::NoSa(name.into()))?;
        if self.sas.get(&spi).is_some_and(|sa| sa.ticket.is_none()) {
            return Err(CommandError::NoTicket(name.into()));
        }
        let unix = self.unix_at(now);
        let mut sa = self.remove_sa(&spi).expect("found above");
        let session = sa
            .take_suspended(unix)
            .ok_or_else(|| CommandError::NoTicket(name.into()))?;
        for c in sa.children.drain(..) {
            self.shared.events.push_back(Event::ChildDown {
                connection: name.into(),
                spi_in: c.spi_in,
            });
        }
        drop(sa); // the remaining keys are zeroized here
        tracing::info!(conn = %name, expires_at = session.expires_at, "IKE SA suspended");
        self.shared.events.push_back(Event::Suspended {
            connection: name.into(),
        });
        self.suspended.insert(name.into(), session);
        Ok(&self.suspended[name])
    }

    /// Resume the suspended session of connection `name` (IKE_SESSION_RESUME); falls back to a
    /// full IKE_SA_INIT by itself if the ticket has expired or is refused. Returns our new SPI.
    pub fn resume(&mut self, now: Instant, name: &str) -> Result<[u8; 8], CommandError> {
        let session = self
            .suspended
            .remove(name)
            .ok_or_else(|| CommandError::NotSuspended(name.into()))?;
        if self.connection(name).is_err() {
            self.suspended.insert(name.into(), session);
            return Err(CommandError::UnknownConnection(name.into()));
        }
        self.resume_session(now, session)
    }

    pub(super) fn resume_session(
        &mut self,
        now: Instant,
        session: SuspendedSession,
    ) -> Result<[u8; 8], CommandError> {
        let name = session.connection.clone();
        let conn = self.connection(&name)?;
        let unix = self.unix_at(now);
        if session.is_expired(unix) {
            tracing::warn!(conn = %name, "session resumption not possible: the ticket expired; falling back to a full IKE_SA_INIT");
            self.shared.events.push_back(Event::ResumeFallback {
                connection: name.clone(),
                why: "the ticket expired".into(),
            });
            return self.initiate(now, &name);
        }
        let local = self.local_for(&conn, session.peer.ip());
        let sa = IkeSa::new_resume_initiator(
            &mut self.shared.ctx(now, unix),
            conn,
            local,
            Box::new(session),
        );
        let spi = sa.spi_i;
        self.insert_sa(sa);
        Ok(spi)
    }

    /// Add a suspended session loaded from disk (replaces one of the same connection).
    pub fn insert_suspended(&mut self, session: SuspendedSession) {
        self.suspended.insert(session.connection.clone(), session);
    }

    /// The suspended sessions held, by connection.
    pub fn suspended_sessions(&self) -> impl Iterator<Item = &SuspendedSession> {
        self.suspended.values()
    }

    /// Drop a suspended session (e.g. on `terminate`); true if there was one.
    pub fn forget_suspended(&mut self, name: &str) -> bool {
        self.suspended.remove(name).is_some()
    }

    /// Remove the old SA of a resumed session without a Delete (RFC 5723 §4.3.4).
    pub(super) fn delete_silently(&mut self, now: Instant, spi_i: [u8; 8], spi_r: [u8; 8]) {
        if !self.delete_superseded(now, spi_i, spi_r) {
            if let Some(shard) = self.shared.cfg.shard {
                // It may live in another shard: the driver forwards this.
                if Shard::of_spi(&spi_r, shard.count) != shard.index {
                    self.shared
                        .events
                        .push_back(Event::SupersededElsewhere { spi_i, spi_r });
                }
            }
        }
    }

    /// Remove, without telling the peer, the SA with these SPIs if we hold it: the old SA of a
    /// session resumed elsewhere (RFC 5723 §4.3.4). Returns whether it was found. O(1): our SPI
    /// is the map key (the responder's for a gateway SA, the initiator's otherwise).
    pub fn delete_superseded(&mut self, now: Instant, spi_i: [u8; 8], spi_r: [u8; 8]) -> bool {
        let key = [spi_r, spi_i].into_iter().find(|k| {
            self.sas
                .get(k)
                .is_some_and(|sa| sa.spi_i == spi_i && sa.spi_r == spi_r)
        });
        let Some(spi) = key else { return false };
        tracing::info!(spi_i = %crate::sa::hex8(&spi_i), "old IKE SA replaced by a resumed one; removed silently");
        self.with_sa(now, spi, |sa, ctx| sa.close(ctx, SaError::Resumed));
        true
    }
}

impl Endpoint {
    /// Take a suspended session out of the store (to persist or inspect it).
    pub fn take_suspended(&mut self, name: &str) -> Option<SuspendedSession> {
        self.suspended.remove(name)
    }

    /// Test support: decrypt an IKE message addressed to one of our SAs and return its inner
    /// payloads. Never used by the daemon; it exists so protocol tests can assert the contents
    /// of encrypted messages.
    #[doc(hidden)]
    pub fn open_for_tests(&self, ike: &[u8]) -> Option<Vec<ike_wire::Payload>> {
        let msg = ike_wire::Message::parse(ike).ok()?;
        let h = &msg.header;
        let spi = if h.flags.is_initiator() {
            h.spi_r
        } else {
            h.spi_i
        };
        self.sas.get(&spi)?.unprotect_whole(ike, &msg).ok()
    }
}
