//! RFC 5723 in the daemon: the gateway's ticket key file, the client's suspended sessions (in
//! the engine and, with `persist = true`, on disk), `suspend` / `resume` and how a resume ended
//! (resumed, or fell back to a full handshake and why), and the optional Wireshark key log.
//!
//! A session file lives exactly as long as the session can still be resumed: it is written on
//! `Event::Suspended`, kept while a resume is in flight (a resume the gateway never answered
//! puts the session back, since the ticket was not used), and deleted once the ticket has been
//! used or refused, or the connection is terminated.

use std::time::Instant;

use ike_crypto::SecretBytes;
use ike_proto::suspend::SuspendedSession;
use ike_proto::ticket::{TicketError, TicketKeyRing};
use ike_proto::{CommandError, PeerMisbehaved, SaError, SaState};
use rand_core::OsRng;
use tokio::sync::oneshot;

use super::engine::Engine;
use super::{Driver, unix_now};
use crate::config::Config;
use crate::control::proto::spi_hex;
use crate::control::{Response, SaJson, SuspendedJson};
use crate::state::file::PrivateFileError;
use crate::state::{
    KeyFileError, KeyLog, KeyOrigin, Loaded, RotationOutcome, SessionStore, TicketKeyFile,
};

/// The files the driver keeps; all `None` when the driver runs without a state directory
/// (the demo, embedded tests).
#[derive(Debug, Default)]
pub(super) struct StateFiles {
    keys: Option<TicketKeyFile>,
    sessions: Option<SessionStore>,
    keylog: Option<KeyLog>,
}

/// Why the daemon's persistent state could not be opened at start.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The ticket key file is unusable.
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    /// The session directory cannot be created.
    #[error("session directory {}: {source}", path.display())]
    Sessions {
        /// The directory.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The ticket key ring could not be copied to the engine shards.
    #[error("ticket key ring copy: {0}")]
    KeyCopy(#[from] TicketError),
    /// The Wireshark key log cannot be used.
    #[error("wireshark_keys {0}")]
    KeyLog(#[from] PrivateFileError),
}

/// A resume whose outcome is not known yet.
pub(super) struct Attempt {
    pub(super) connection: String,
    /// Our SPI of the SA being set up; `None` right after a refused ticket until the fallback
    /// SA is found.
    spi: Option<[u8; 8]>,
    /// Why it fell back to a full handshake; `None` while resuming with the ticket.
    fallback: Option<String>,
    /// Whether the gateway answered the IKE_SESSION_RESUME request at all.
    answered: bool,
    /// The engine's reason for falling back (Event::ResumeFallback), when it gave one.
    engine_why: Option<String>,
    /// The session as it was, to put back if the gateway never answered (the ticket is then
    /// unused, RFC 5723 §4.3.1: it counts as used only once an SA is established with it).
    saved: Option<SecretBytes>,
    started: Instant,
    /// The waiting control client (`resume --wait`).
    pub(super) tx: Option<oneshot::Sender<Response>>,
}

/// `7h59m`, `12m5s`, `40s` for messages.
pub(crate) fn human_secs(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        _ => format!("{}h{}m", s / 3600, (s % 3600) / 60),
    }
}

impl Driver {
    /// Open the daemon's persistent state (call once, before [`Driver::run`]): load or create
    /// the ticket key file (shard 0 rotates and saves it, the others get copies), open the
    /// Wireshark key log if configured, load persisted suspended sessions (bad ones are reported
    /// and set aside, expired ones removed) into their connection's home shard and resume those
    /// whose connection says `auto_resume = true`.
    pub fn open_state(&mut self, cfg: &Config) -> Result<(), StateError> {
        let d = &cfg.daemon;
        let keys = TicketKeyFile::new(&d.ticket_key_file);
        let rotation = d.ticket_key_rotation.as_secs().max(1);
        let (ring, origin) = keys.load_or_create(unix_now(), rotation, &mut OsRng)?;
        if ring.rotation_secs() != rotation {
            tracing::warn!(
                file = %keys.path().display(),
                file_rotation = ring.rotation_secs(),
                configured = rotation,
                "the ticket key file keeps its own rotation period; delete the file to apply \
                 ticket_key_rotation (this invalidates outstanding tickets)"
            );
        }
        tracing::info!(
            file = %keys.path().display(),
            key_id = hex(&ring.current_key_id()),
            next_rotation = ring.next_rotation(),
            "ticket keys {}",
            match origin {
                KeyOrigin::Loaded => "loaded",
                KeyOrigin::Created => "created",
            }
        );
        self.set_ticket_keys(&ring)?;
        // Only shard 0 rotates the ring, so only it writes the file.
        if let Some(e) = self.engines.first_mut() {
            e.state.keys = Some(keys);
        }

        if let Some(path) = &d.wireshark_keys {
            let log = KeyLog::open(path)?;
            tracing::warn!(
                file = %path.display(),
                "wireshark_keys is on: IKE SA keys are written to this file (a debugging aid; \
                 whoever reads it can decrypt the IKE traffic)"
            );
            for e in &mut self.engines {
                e.state.keylog = Some(log.clone());
            }
        }

        let dir = d.state_dir.join("sessions");
        let store = SessionStore::open(&dir).map_err(|source| StateError::Sessions {
            path: dir.clone(),
            source,
        })?;
        let shards = self.engines.len();
        let mut auto = Vec::new();
        for loaded in store.load_all(unix_now()) {
            let Loaded::Session(s) = loaded else { continue };
            let name = s.connection.clone();
            let home = super::shards::home_shard(&name, shards);
            let Some(engine) = self.engines.get_mut(home) else {
                continue;
            };
            if !engine.ep.connections().iter().any(|c| c.name == name) {
                tracing::warn!(
                    connection = name,
                    file = %store.path_for(&name).display(),
                    "persisted session for a connection that is not configured; left on disk"
                );
                continue;
            }
            tracing::info!(
                connection = name,
                peer = %s.peer,
                expires_in = human_secs(s.remaining_secs(unix_now())),
                "persisted session loaded"
            );
            engine.ep.insert_suspended(s);
            if cfg.session_policy(&name).auto_resume {
                auto.push((home, name));
            }
        }
        for e in &mut self.engines {
            e.state.sessions = Some(store.clone());
        }
        for (home, name) in auto {
            tracing::info!(
                connection = name,
                "resuming persisted session (auto_resume)"
            );
            if let Some(e) = self.engines.get_mut(home) {
                e.start_resume(Instant::now(), &name, None);
            }
        }
        Ok(())
    }

    /// Give the engine in-memory ticket keys that are never persisted (the demo).
    pub fn use_ephemeral_ticket_keys(&mut self, rotation_secs: u64) {
        let ring = TicketKeyRing::generate(unix_now(), rotation_secs, &mut OsRng);
        if let Err(e) = self.set_ticket_keys(&ring) {
            tracing::error!(error = %e, "cannot copy the ticket keys to the shards");
        }
    }

    /// Every shard gets its own copy of the ring.
    fn set_ticket_keys(&mut self, ring: &TicketKeyRing) -> Result<(), TicketError> {
        let bytes = ring.to_bytes();
        for e in &mut self.engines {
            e.ep.set_ticket_keys(TicketKeyRing::from_bytes(bytes.expose())?);
        }
        Ok(())
    }
}

impl Engine {
    fn persists(&self, connection: &str) -> bool {
        self.config
            .as_ref()
            .is_some_and(|c| c.session_policy(connection).persist)
    }

    pub(super) fn suspended_json(&self) -> Vec<SuspendedJson> {
        let mut v: Vec<SuspendedJson> = self
            .ep
            .suspended_sessions()
            .map(|s| {
                let persisted = self
                    .state
                    .sessions
                    .as_ref()
                    .is_some_and(|st| st.contains(&s.connection));
                SuspendedJson::new(s, persisted)
            })
            .collect();
        v.sort_by(|a, b| a.connection.cmp(&b.connection));
        v
    }

    /// `suspend NAME`.
    pub(super) fn suspend(&mut self, now: Instant, name: &str) -> Response {
        let (expires_at, peer) = match self.ep.suspend(now, name) {
            Ok(s) => (s.expires_at, s.peer),
            Err(e) => return Response::error(e.to_string()),
        };
        // Handle Event::Suspended (and the Child SAs going down) now, so the answer can say
        // whether the session reached the disk.
        while let Some(ev) = self.ep.poll_event() {
            self.event(ev);
        }
        let left = expires_at.saturating_sub(unix_now());
        let mut msg = format!(
            "IKE SA {name} suspended; ticket for {peer} valid for {}",
            human_secs(left)
        );
        match &self.state.sessions {
            Some(st) if self.persists(name) => {
                if st.contains(name) {
                    msg.push_str(&format!("; saved to {}", st.path_for(name).display()));
                } else {
                    msg.push_str("; NOT saved to disk (see the daemon log)");
                }
            }
            _ => msg.push_str("; kept in memory only (persist = false)"),
        }
        Response::ok(msg)
    }

    /// Event::Suspended: write the session file if the connection persists sessions.
    pub(super) fn persist_suspended(&mut self, connection: &str) {
        let Some(store) = &self.state.sessions else {
            return;
        };
        if !self.persists(connection) {
            return;
        }
        let Some(s) = self
            .ep
            .suspended_sessions()
            .find(|s| s.connection == connection)
        else {
            return;
        };
        match store.save(s) {
            Ok(path) => {
                tracing::info!(connection, file = %path.display(), "suspended session saved")
            }
            Err(e) => tracing::error!(
                connection,
                file = %store.path_for(connection).display(),
                error = %e,
                "cannot save the suspended session; it is kept in memory only"
            ),
        }
    }

    /// Drop the suspended session of `name` from the engine and the disk; true if there was one.
    pub(super) fn forget_session(&mut self, name: &str) -> bool {
        let in_memory = self.ep.forget_suspended(name);
        let on_disk = self.remove_session_file(name);
        if in_memory || on_disk {
            tracing::info!(connection = name, "suspended session forgotten");
        }
        in_memory || on_disk
    }

    fn remove_session_file(&self, name: &str) -> bool {
        let Some(store) = &self.state.sessions else {
            return false;
        };
        match store.remove(name) {
            Ok(removed) => removed,
            Err(e) => {
                tracing::warn!(connection = name, file = %store.path_for(name).display(), error = %e, "cannot remove the session file");
                false
            }
        }
    }

    /// Start resuming `name`. `reply` is the control client: answered at once, or (with its
    /// flag set) once the outcome is known. `None` for automatic resumes.
    pub(super) fn start_resume(
        &mut self,
        now: Instant,
        name: &str,
        reply: Option<(oneshot::Sender<Response>, bool)>,
    ) {
        let answer = |reply: Option<(oneshot::Sender<Response>, bool)>, r: Response| {
            if let Some((tx, _)) = reply {
                let _ = tx.send(r);
            }
        };
        let unix = unix_now();
        let Some(session) = self.ep.suspended_sessions().find(|s| s.connection == name) else {
            let e = match self.ep.connections().iter().any(|c| c.name == name) {
                true => CommandError::NotSuspended(name.into()),
                false => CommandError::UnknownConnection(name.into()),
            };
            return answer(reply, Response::error(e.to_string()));
        };
        let saved = session.encode();
        let expired = session.is_expired(unix);
        let spi = match self.ep.resume(now, name) {
            Ok(spi) => spi,
            Err(e) => {
                tracing::warn!(connection = name, error = %e, "resume failed");
                return answer(reply, Response::error(e.to_string()));
            }
        };
        let resumed = self.ep.sa_info(&spi).is_some_and(|i| i.resumed);
        let fallback = (!resumed).then(|| {
            if expired {
                "the ticket expired".to_string()
            } else {
                "the ticket could not be used".to_string()
            }
        });
        if fallback.is_some() {
            // The ticket is useless now; a full handshake does not need the file.
            self.remove_session_file(name);
        }
        tracing::info!(
            connection = name,
            spi = spi_hex(&spi),
            fallback = fallback.as_deref().unwrap_or("none"),
            "resuming"
        );
        let msg = match &fallback {
            None => format!(
                "resuming {name} with its ticket (IKE_SESSION_RESUME, spi {})",
                spi_hex(&spi)
            ),
            Some(why) => format!(
                "{name}: falling back to a full handshake: {why} (spi {})",
                spi_hex(&spi)
            ),
        };
        // A newer resume of the same connection replaces an older pending one.
        if let Some(i) = self.attempts.iter().position(|a| a.connection == name) {
            let old = self.attempts.swap_remove(i);
            if let Some(tx) = old.tx {
                let _ = tx.send(Response::error(format!(
                    "resume of {name} superseded by a newer one"
                )));
            }
        }
        let tx = match reply {
            Some((tx, true)) => Some(tx),
            Some((tx, false)) => {
                let mut r = Response::ok(msg);
                r.resumed = Some(fallback.is_none());
                r.fallback_reason = fallback.clone();
                let _ = tx.send(r);
                None
            }
            None => None,
        };
        self.attempts.push(Attempt {
            connection: name.to_string(),
            spi: Some(spi),
            saved: fallback.is_none().then_some(saved),
            fallback,
            answered: false,
            engine_why: None,
            started: now,
            tx,
        });
    }

    /// Event::Established: settle a resume attempt; drop a session file the engine no longer
    /// needs (e.g. after a resume the engine started by itself when DPD declared the peer dead).
    pub(super) fn resume_established(
        &mut self,
        connection: &str,
        local_spi: [u8; 8],
        sa: Option<SaJson>,
    ) {
        if let Some(i) = self.attempts.iter().position(|a| a.spi == Some(local_spi)) {
            let a = self.attempts.swap_remove(i);
            let ms = a.started.elapsed().as_secs_f64() * 1000.0;
            let (message, resumed) = match &a.fallback {
                None => (
                    format!("IKE SA {connection} resumed in {ms:.1} ms (IKE_SESSION_RESUME)"),
                    true,
                ),
                Some(why) => (
                    format!(
                        "IKE SA {connection} established in {ms:.1} ms: fell back to full handshake: {why}"
                    ),
                    false,
                ),
            };
            tracing::info!(connection, resumed, "{message}");
            if let Some(tx) = a.tx {
                let _ = tx.send(Response {
                    ok: true,
                    message: Some(message),
                    sas: sa.map(|s| vec![s]),
                    resumed: Some(resumed),
                    fallback_reason: a.fallback,
                    ..Response::default()
                });
            }
        }
        let initiator = self.ep.sa_info(&local_spi).is_some_and(|i| i.initiator);
        let still_suspended = self
            .ep
            .suspended_sessions()
            .any(|s| s.connection == connection);
        let pending = self.attempts.iter().any(|a| a.connection == connection);
        if initiator && !still_suspended && !pending && self.remove_session_file(connection) {
            tracing::info!(
                connection,
                "session file removed: the session's ticket has been used"
            );
        }
    }

    /// Event::ResumeFallback: the engine's own reason for giving up on the ticket, used in place of
    /// the answered/unanswered guess below.
    pub(super) fn resume_fallback_reason(&mut self, connection: &str, why: String) {
        if let Some(a) = self
            .attempts
            .iter_mut()
            .find(|a| a.connection == connection && a.fallback.is_none())
        {
            a.engine_why = Some(why);
        }
    }

    /// Event::Closed: a resume that failed, or whose ticket was refused (the engine then starts
    /// a full handshake by itself, which the attempt follows).
    pub(super) fn resume_closed(&mut self, connection: &str, local_spi: [u8; 8], reason: &SaError) {
        let Some(i) = self.attempts.iter().position(|a| a.spi == Some(local_spi)) else {
            return;
        };
        let refused = *reason == SaError::Protocol(PeerMisbehaved::TicketRefused);
        if self.attempts[i].fallback.is_none() && refused {
            // The engine reports every fallback this way; whether the gateway answered at all
            // tells a refused ticket from an unreachable gateway.
            let answered = self.attempts[i].answered;
            let why = self.attempts[i].engine_why.take().unwrap_or_else(|| {
                if answered {
                    "the gateway refused the ticket"
                } else {
                    "no answer to IKE_SESSION_RESUME"
                }
                .to_string()
            });
            if answered {
                // A refused ticket is useless; an unanswered one stays until the fallback ends.
                self.attempts[i].saved = None;
                self.remove_session_file(connection);
            }
            // The engine has already started the full IKE_SA_INIT: the newest initiator SA of
            // this connection that is still connecting and was not resumed.
            let new = self
                .ep
                .list()
                .into_iter()
                .filter(|s| {
                    s.connection == connection
                        && s.initiator
                        && !s.resumed
                        && s.state == SaState::Connecting
                        && s.spi_i != local_spi
                })
                .map(|s| s.spi_i)
                .find(|spi| !self.attempts.iter().any(|a| a.spi == Some(*spi)));
            if let Some(spi) = new {
                tracing::info!(
                    connection,
                    spi = spi_hex(&spi),
                    "resume fell back to a full handshake: {why}"
                );
                let a = &mut self.attempts[i];
                a.fallback = Some(why);
                a.spi = Some(spi);
                return;
            }
            self.attempts[i].fallback = Some(why);
        }
        let a = self.attempts.swap_remove(i);
        let what = match &a.fallback {
            None => format!("resume of {connection} failed: {reason}"),
            Some(why) if refused => format!(
                "resume of {connection} failed: {why}, and no full handshake could be started (see the daemon log)"
            ),
            Some(why) => format!(
                "resume of {connection} fell back to full handshake ({why}), which failed: {reason}"
            ),
        };
        // Nothing answered: the ticket was not used, so the session stays resumable.
        let kept = *reason == SaError::Timeout
            && a.saved
                .as_ref()
                .is_some_and(|saved| self.restore_session(connection, saved));
        let msg = if kept {
            format!(
                "{what}; the suspended session is kept, retry with `tessera resume {connection}`"
            )
        } else {
            self.remove_session_file(connection);
            what
        };
        tracing::warn!(connection, "{msg}");
        if let Some(tx) = a.tx {
            let _ = tx.send(Response::error(msg));
        }
    }

    /// Put a session back into the engine (unless it holds a newer one); true if it is there.
    fn restore_session(&mut self, connection: &str, saved: &SecretBytes) -> bool {
        if self
            .ep
            .suspended_sessions()
            .any(|s| s.connection == connection)
        {
            return false;
        }
        match SuspendedSession::decode(saved.expose()) {
            Ok(s) => {
                self.ep.insert_suspended(s);
                true
            }
            Err(e) => {
                tracing::warn!(connection, error = %e, "cannot restore the suspended session");
                false
            }
        }
    }

    /// A datagram arrived: note whether it answers a pending IKE_SESSION_RESUME.
    pub(super) fn note_resume_answer(&mut self, bytes: &[u8]) {
        if self.attempts.is_empty() {
            return;
        }
        let ike_proto::transmit::Datagram::Ike(ike) = ike_proto::transmit::classify(bytes) else {
            return;
        };
        let Ok(h) = ike_wire::IkeHeader::parse(ike) else {
            return;
        };
        if !h.flags.is_response() {
            return;
        }
        for a in &mut self.attempts {
            if a.fallback.is_none() && a.spi == Some(h.spi_i) {
                a.answered = true;
            }
        }
    }

    /// Event::TicketKeysRotated: write the ring (or adopt the one another daemon sharing the
    /// file wrote first).
    pub(super) fn persist_ticket_keys(&mut self) {
        let (Some(file), Some(ring)) = (&self.state.keys, self.ep.ticket_keys()) else {
            return;
        };
        match file.store_rotated(ring) {
            Ok(RotationOutcome::Written) => tracing::info!(
                file = %file.path().display(),
                key_id = hex(&ring.current_key_id()),
                "ticket keys rotated and saved"
            ),
            Ok(RotationOutcome::Adopt(theirs)) => {
                tracing::info!(
                    file = %file.path().display(),
                    key_id = hex(&theirs.current_key_id()),
                    "ticket keys rotated by another daemon sharing the key file; using those"
                );
                self.ep.set_ticket_keys(theirs);
            }
            Err(e) => tracing::error!(
                error = %e,
                "cannot save the rotated ticket keys; tickets issued from now on will not \
                 survive a restart"
            ),
        }
    }

    /// Append the keys of a newly established IKE SA to the Wireshark key log, if on.
    pub(super) fn export_keys(&self, local_spi: [u8; 8]) {
        let Some(log) = &self.state.keylog else {
            return;
        };
        let Some(k) = self.ep.key_export(&local_spi) else {
            return;
        };
        let line = zeroize::Zeroizing::new(k.wireshark_line());
        if let Err(e) = log.append(&line) {
            tracing::warn!(error = %e, "cannot append to the Wireshark key log");
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::human_secs;

    #[test]
    fn durations_for_humans() {
        assert_eq!(human_secs(0), "0s");
        assert_eq!(human_secs(59), "59s");
        assert_eq!(human_secs(60), "1m0s");
        assert_eq!(human_secs(3599), "59m59s");
        assert_eq!(human_secs(8 * 3600 - 60), "7h59m");
    }
}
