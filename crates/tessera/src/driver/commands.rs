//! Control commands.

use std::collections::HashSet;
use std::path::PathBuf;

use super::engine::{Engine, Waiter};
use super::*;

impl Engine {
    pub(super) fn command(&mut self, req: Request, tx: oneshot::Sender<Response>) {
        // Waiters whose client went away are dropped here rather than on every event.
        self.waiters.retain(|w| match w {
            Waiter::Initiate { tx, .. } | Waiter::Terminate { tx, .. } => !tx.is_closed(),
        });
        for a in &mut self.attempts {
            if a.tx.as_ref().is_some_and(|tx| tx.is_closed()) {
                a.tx = None;
            }
        }
        let now = Instant::now();
        let resp = match req {
            Request::Initiate { name, wait } => match self.ep.initiate(now, &name) {
                Ok(spi) => {
                    tracing::info!(connection = name, spi = spi_hex(&spi), "initiating");
                    if wait {
                        self.waiters.push(Waiter::Initiate { spi, tx });
                        return;
                    }
                    Response::ok(format!("initiating {name} (spi {})", spi_hex(&spi)))
                }
                Err(e) => Response::error(e.to_string()),
            },
            Request::Terminate { name, wait } => {
                let spis: HashSet<[u8; 8]> = self
                    .ep
                    .list()
                    .iter()
                    .filter(|s| s.connection == name)
                    .map(|s| if s.initiator { s.spi_i } else { s.spi_r })
                    .collect();
                // Terminating a connection also ends its suspended session: the user wants
                // it gone, not resumable later.
                let forgot = self.forget_session(&name);
                match self.ep.terminate(now, &name) {
                    Ok(n) => {
                        tracing::info!(connection = name, sas = n, "terminating");
                        if wait && !spis.is_empty() {
                            self.waiters.push(Waiter::Terminate { name, spis, tx });
                            return;
                        }
                        Response::ok(format!("terminating {n} IKE SA(s) of {name}"))
                    }
                    Err(ike_proto::CommandError::NoSa(_)) if forgot => {
                        Response::ok(format!("forgot the suspended session of {name}"))
                    }
                    Err(e) => Response::error(e.to_string()),
                }
            }
            Request::List => Response {
                ok: true,
                sas: Some(self.ep.list().iter().map(SaJson::from).collect()),
                suspended: Some(self.suspended_json()),
                ..Response::default()
            },
            Request::Reload => self.reload(),
            Request::Dpd { name } => match self.ep.dpd(now, &name) {
                Ok(n) => Response::ok(format!("liveness check sent on {n} IKE SA(s) of {name}")),
                Err(e) => Response::error(e.to_string()),
            },
            Request::Suspend { name } => self.suspend(now, &name),
            Request::Resume { name, wait } => {
                // Answers now, or (with `wait`) once the outcome is known.
                self.start_resume(now, &name, Some((tx, wait)));
                return;
            }
            Request::Rekey { name, ike, child } => {
                let mut parts = Vec::new();
                let mut result = Ok(());
                if ike || !child {
                    match self.ep.rekey_ike(now, &name) {
                        Ok(n) => parts.push(format!("rekeying {n} IKE SA(s)")),
                        Err(e) => result = Err(e),
                    }
                }
                if child && result.is_ok() {
                    match self.ep.rekey_children(now, &name) {
                        Ok(n) => parts.push(format!("rekeying the Child SAs of {n} IKE SA(s)")),
                        Err(e) => result = Err(e),
                    }
                }
                match result {
                    Ok(()) => {
                        tracing::info!(connection = name, ike, child, "rekey requested");
                        Response::ok(format!("{} of {name}", parts.join(" and ")))
                    }
                    Err(e) => Response::error(e.to_string()),
                }
            }
            Request::RequestTicket { name } => match self.ep.request_ticket(now, &name) {
                Ok(n) => {
                    tracing::info!(connection = name, sas = n, "resumption ticket requested");
                    Response::ok(format!(
                        "resumption ticket requested on {n} IKE SA(s) of {name}"
                    ))
                }
                Err(e) => Response::error(e.to_string()),
            },
        };
        let _ = tx.send(resp);
    }

    fn reload(&mut self) -> Response {
        let Some(old) = &self.config else {
            return Response::error("no configuration file to reload");
        };
        let path: PathBuf = old.path.clone();
        let mut new = match Config::load(&path) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "reload failed; keeping the running configuration");
                return Response::error(format!("reload failed, configuration unchanged: {e}"));
            }
        };
        if let Err(e) = self.ep.set_connections(new.connections.clone()) {
            tracing::warn!(error = %e, "reload failed; keeping the running configuration");
            return Response::error(format!("reload failed, configuration unchanged: {e}"));
        }
        let mut msg = format!(
            "reloaded {}: {} connection(s)",
            path.display(),
            new.connections.len()
        );
        if new.daemon != old.daemon {
            msg.push_str("; [daemon] changes take effect after a restart");
            // Keep describing the sockets and settings actually in use.
            new.daemon = old.daemon.clone();
        }
        tracing::info!(
            connections = new.connections.len(),
            "configuration reloaded"
        );
        self.config = Some(new);
        Response::ok(msg)
    }
}
