//! Engine events: logs, the kernel backend, waiting control clients, persistence.

use super::engine::{Engine, Waiter};
use super::*;

impl Engine {
    pub(super) fn sa_json(&self, local_spi: [u8; 8]) -> Option<SaJson> {
        self.ep.sa_info(&local_spi).as_ref().map(SaJson::from)
    }

    pub(super) fn event(&mut self, ev: Event) {
        match ev {
            Event::Established {
                connection,
                local_spi,
            } => {
                let sa = self.sa_json(local_spi);
                match &sa {
                    Some(s) => tracing::info!(
                        connection,
                        spi_i = s.spi_i,
                        spi_r = s.spi_r,
                        remote = s.remote,
                        remote_id = s.remote_id,
                        proposal = s.proposal,
                        resumed = s.resumed,
                        "IKE SA established"
                    ),
                    None => {
                        tracing::info!(connection, spi = spi_hex(&local_spi), "IKE SA established")
                    }
                }
                self.export_keys(local_spi);
                self.resolve_initiate(local_spi, || Response {
                    ok: true,
                    message: Some(format!("IKE SA {connection} established")),
                    sas: sa.clone().map(|s| vec![s]),
                    ..Response::default()
                });
                self.resume_established(&connection, local_spi, sa);
            }
            Event::ChildUp {
                connection,
                child,
                spi_in,
                spi_out,
                encr,
                integ,
                keys,
                initiator,
                mode,
                ..
            } => {
                tracing::info!(
                    connection,
                    child,
                    spi_in = format_args!("{spi_in:08x}"),
                    spi_out = format_args!("{spi_out:08x}"),
                    encr = ?encr,
                    integ = ?integ,
                    mode = ?mode,
                    "CHILD SA up"
                );
                let sa = ChildSa {
                    connection,
                    child,
                    spi_in,
                    spi_out,
                    encr,
                    integ,
                    mode,
                    keys,
                    initiator,
                };
                let Ok(mut backend) = self.backend.lock() else {
                    tracing::error!("kernel backend unusable (a shard panicked while using it)");
                    return;
                };
                if let Err(e) = backend.install(sa) {
                    tracing::warn!(spi_in = format_args!("{spi_in:08x}"), error = %e, backend = backend.name(), "CHILD SA install failed");
                }
            }
            Event::ChildDown { connection, spi_in } => {
                tracing::info!(
                    connection,
                    spi_in = format_args!("{spi_in:08x}"),
                    "CHILD SA down"
                );
                let removed = match self.backend.lock() {
                    Ok(mut backend) => backend.remove(spi_in),
                    Err(_) => return,
                };
                if let Err(e) = removed {
                    tracing::debug!(error = %e, "CHILD SA removal");
                }
            }
            Event::Closed {
                connection,
                local_spi,
                reason,
            } => {
                tracing::info!(connection, spi = spi_hex(&local_spi), %reason, "IKE SA closed");
                self.resolve_initiate(local_spi, || {
                    Response::error(format!("IKE SA {connection} failed: {reason}"))
                });
                self.resolve_terminate(local_spi);
                self.resume_closed(&connection, local_spi, &reason);
            }
            Event::Suspended { connection } => self.persist_suspended(&connection),
            Event::TicketKeysRotated => {
                self.persist_ticket_keys();
                self.copy_ticket_keys();
            }
            Event::SupersededElsewhere { spi_i, spi_r } => self.forward_superseded(spi_i, spi_r),
            Event::ResumeFallback { connection, why } => {
                self.resume_fallback_reason(&connection, why)
            }
            Event::IkeRekeyed {
                connection,
                old_local_spi,
                new_local_spi,
            } => {
                tracing::info!(
                    connection,
                    old = spi_hex(&old_local_spi),
                    new = spi_hex(&new_local_spi),
                    "IKE SA rekeyed"
                );
                self.export_keys(new_local_spi);
            }
            // The engine's event set is non-exhaustive; a new kind is logged until handled.
            other => tracing::debug!(event = ?other, "unhandled engine event"),
        }
    }

    fn resolve_initiate(&mut self, spi: [u8; 8], resp: impl FnOnce() -> Response) {
        if let Some(i) = self
            .waiters
            .iter()
            .position(|w| matches!(w, Waiter::Initiate { spi: s, .. } if *s == spi))
        {
            if let Waiter::Initiate { tx, .. } = self.waiters.swap_remove(i) {
                let _ = tx.send(resp());
            }
        }
    }

    fn resolve_terminate(&mut self, spi: [u8; 8]) {
        let mut i = 0;
        while i < self.waiters.len() {
            let done = match &mut self.waiters[i] {
                Waiter::Terminate { spis, .. } => {
                    spis.remove(&spi);
                    spis.is_empty()
                }
                Waiter::Initiate { .. } => false,
            };
            if done {
                if let Waiter::Terminate { name, tx, .. } = self.waiters.swap_remove(i) {
                    let _ = tx.send(Response::ok(format!("IKE SA {name} closed")));
                }
            } else {
                i += 1;
            }
        }
    }
}
