//! IKE_SESSION_RESUME (RFC 5723 §4.3.2, exchange type 38) for both roles, and the client's
//! fallback to a full IKE_SA_INIT when the ticket is refused (§4.3.1, §6.2).
//!
//! Client: `HDR(SPIi, 0), Ni, N(TICKET_OPAQUE), N(NAT_DETECTION_*)` →
//! `HDR(SPIi, SPIr), Nr, N(NAT_DETECTION_*)`; then
//! SKEYSEED = prf(SK_d_old, "Resumption" | Ni | Nr) and a resumed IKE_AUTH (§4.3.3, §5.1).
//! Gateway: an invalid ticket of any kind gets the same unprotected N(TICKET_NACK) and leaves no
//! state behind.

use std::net::SocketAddr;
use std::sync::Arc;

use ike_crypto::skeyseed_resume;
use ike_wire::{ExchangeType, Message, NoncePayload, NotifyPayload, NotifyType, Payload};

use super::find_notify;
use super::ike_sa_init::{install_keys, nat_between, nat_notifies, random_nonce, random_spi};
use super::ticket::policy_hash;
use crate::config::ConnectionConfig;
use crate::error::{PeerMisbehaved, SaError};
use crate::sa::{Action, Ctx, IkeSa, Phase, RequestKind, ResumeCheck, window::Window};
use crate::suspend::SuspendedSession;
use crate::ticket::ResumptionState;
use crate::transmit::Transmit;

impl IkeSa {
    /// Client: start resuming `session` with IKE_SESSION_RESUME.
    pub(crate) fn new_resume_initiator(
        ctx: &mut Ctx<'_>,
        conn: Arc<ConnectionConfig>,
        local: SocketAddr,
        session: Box<SuspendedSession>,
    ) -> IkeSa {
        let remote = session.peer;
        let spi_i = random_spi(ctx);
        let mut sa = IkeSa::blank(
            conn,
            true,
            spi_i,
            [0; 8],
            local,
            remote,
            Phase::AuthSent,
            ctx.now,
        );
        sa.ni = random_nonce(ctx);
        sa.resumed = true;
        let req = sa.resume_request_bytes(&session.ticket, None);
        sa.window
            .sent(RequestKind::Init, vec![req.clone()], ctx.now, ctx.cfg);
        ctx.out.push_back(Transmit::ike(local, remote, &req));
        sa.init_request = req;
        tracing::info!(conn = %sa.conn.name, spi_i = %crate::sa::hex8(&spi_i), %remote, "resuming IKE SA with ticket (IKE_SESSION_RESUME)");
        sa.phase = Phase::ResumeSent {
            session,
            cookie: None,
        };
        sa
    }

    fn resume_request_bytes(&self, ticket: &[u8], cookie: Option<&[u8]>) -> Vec<u8> {
        let mut p = Vec::with_capacity(5);
        if let Some(c) = cookie {
            p.push(Payload::Notify(NotifyPayload::new(
                NotifyType::Cookie,
                c.to_vec(),
            )));
        }
        p.push(Payload::Nonce(NoncePayload {
            data: self.ni.clone(),
        }));
        p.push(Payload::Notify(NotifyPayload::ticket_opaque(
            ticket.to_vec(),
        )));
        p.extend(nat_notifies(&self.spi_i, &[0; 8], self.local, self.remote));
        if self.conn.fragmentation {
            // Re-announced: nothing of the old SA's negotiation carries over (RFC 7383 §2.3).
            p.push(Payload::Notify(NotifyPayload::status(
                NotifyType::Ikev2FragmentationSupported,
            )));
        }
        self.plain_message(ExchangeType::IkeSessionResume, 0, false, p)
    }

    /// Client: process the IKE_SESSION_RESUME response.
    pub(crate) fn process_resume_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message,
        bytes: &[u8],
    ) {
        let phase = std::mem::replace(&mut self.phase, Phase::AuthSent);
        let Phase::ResumeSent { session, cookie } = phase else {
            self.phase = phase;
            return;
        };
        let payloads = &msg.payloads;
        if let Some(c) = find_notify(payloads, NotifyType::Cookie) {
            if cookie.as_deref() == Some(&c.data[..]) || c.data.is_empty() || c.data.len() > 64 {
                self.phase = Phase::ResumeSent { session, cookie };
                return;
            }
            let cookie = Some(c.data.clone());
            let req = self.resume_request_bytes(&session.ticket, cookie.as_deref());
            self.window.resend_same_mid(req.clone(), ctx.now, ctx.cfg);
            ctx.out
                .push_back(Transmit::ike(self.local, self.remote, &req));
            self.init_request = req;
            self.phase = Phase::ResumeSent { session, cookie };
            return;
        }
        if find_notify(payloads, NotifyType::TicketNack).is_some() {
            return self.fall_back(ctx, "the gateway refused the ticket (TICKET_NACK)");
        }
        if let Some(err) = super::first_error(payloads) {
            return self.fall_back(
                ctx,
                &format!("the gateway answered IKE_SESSION_RESUME with {err:?}"),
            );
        }
        let nonce = payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.data.clone()),
            _ => None,
        });
        let Some(nr) = nonce.filter(|n| (16..=256).contains(&n.len())) else {
            return self.fall_back(ctx, "malformed IKE_SESSION_RESUME response");
        };
        if msg.header.spi_r == [0; 8] {
            return self.fall_back(ctx, "IKE_SESSION_RESUME response with zero SPI");
        }
        self.spi_r = msg.header.spi_r;
        self.nr = nr;
        self.init_response = bytes.to_vec();
        let skeyseed =
            skeyseed_resume(session.suite.prf, session.sk_d.expose(), &self.ni, &self.nr);
        if let Err(e) = install_keys(self, session.suite, skeyseed.expose(), ctx.cfg.export_keys) {
            return self.close(ctx, SaError::Crypto(e));
        }
        self.resume_check = Some(ResumeCheck {
            id_i: session.id_i.clone(),
            id_r: session.id_r.clone(),
            ticket_id: [0; 16],
            expires_at: session.expires_at,
            old_spis: ([0; 8], [0; 8]),
        });
        drop(session); // SK_d_old zeroized here; nothing of the suspended session survives.
        self.nat_detected =
            nat_between(payloads, &self.spi_i, &self.spi_r, self.local, self.remote);
        self.fragmentation = super::ike_sa_init::fragmentation_agreed(&self.conn, payloads);
        if self.nat_detected {
            self.local.set_port(ctx.cfg.natt_port);
            self.remote.set_port(ctx.cfg.remote_natt_port);
        }
        self.window.complete();
        self.window = Window::starting_at(1, 0);
        self.last_inbound = ctx.now;
        if let Err(e) = self.send_auth_request(ctx) {
            self.close(ctx, e);
        }
    }

    /// Client: give up on resumption and ask the endpoint for a full IKE_SA_INIT (§4.3.1).
    pub(crate) fn fall_back(&mut self, ctx: &mut Ctx<'_>, why: &str) {
        tracing::warn!(conn = %self.conn.name, "session resumption failed: {why}; falling back to a full IKE_SA_INIT");
        ctx.actions.push(Action::InitiateFull {
            connection: self.conn.name.clone(),
            why: why.to_string(),
        });
        ctx.events.push_back(crate::Event::ResumeFallback {
            connection: self.conn.name.clone(),
            why: why.to_string(),
        });
        self.window.complete();
        self.close(ctx, SaError::Protocol(PeerMisbehaved::TicketRefused));
    }

    /// Gateway: check the ticket of an IKE_SESSION_RESUME request and, if it is good, create the
    /// responder SA and answer. Every refusal is the same `Err(())` (answered with TICKET_NACK).
    pub(crate) fn new_resume_responder(
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        msg: &Message,
        bytes: &[u8],
    ) -> Result<IkeSa, &'static str> {
        let ni = msg
            .payloads
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.data.clone()),
                _ => None,
            })
            .filter(|n| (16..=256).contains(&n.len()))
            .ok_or("missing or bad nonce")?;
        let ticket =
            find_notify(&msg.payloads, NotifyType::TicketOpaque).ok_or("no TICKET_OPAQUE")?;
        let ring = ctx.tickets.ring.as_ref().ok_or("no ticket keys")?;
        let plain = ring
            .open(&ticket.data, ctx.unix)
            .ok_or("ticket does not open")?;
        let state =
            ResumptionState::decode(plain.expose()).map_err(|_| "ticket content invalid")?;
        if state.expires_at <= ctx.unix {
            return Err("ticket expired");
        }
        if ctx.tickets.used.contains(&state.ticket_id, ctx.unix) {
            return Err("ticket already used");
        }
        let conn = ctx
            .conns
            .iter()
            .find(|c| c.name == state.connection)
            .cloned()
            .ok_or("ticket's connection no longer exists")?;
        if policy_hash(&conn) != state.policy_hash {
            return Err("connection's authentication settings changed since the ticket was issued");
        }
        if !crate::endpoint::accepts(&conn, local, remote) {
            return Err("connection does not accept this address");
        }
        let spi_r = random_spi(ctx);
        let mut sa = IkeSa::blank(
            conn,
            false,
            msg.header.spi_i,
            spi_r,
            local,
            remote,
            Phase::InitReplied,
            ctx.now,
        );
        sa.ni = ni;
        sa.nr = random_nonce(ctx);
        sa.init_request = bytes.to_vec();
        sa.window = Window::starting_at(0, 1);
        sa.resumed = true;
        let skeyseed = skeyseed_resume(state.suite.prf, state.sk_d.expose(), &sa.ni, &sa.nr);
        install_keys(&mut sa, state.suite, skeyseed.expose(), ctx.cfg.export_keys)
            .map_err(|_| "key derivation failed")?;
        sa.nat_detected = nat_between(&msg.payloads, &sa.spi_i, &[0; 8], local, remote);
        sa.peer_auth_method = state.auth_method;
        sa.resume_check = Some(ResumeCheck {
            id_i: state.id_i.clone(),
            id_r: state.id_r.clone(),
            ticket_id: state.ticket_id,
            expires_at: state.expires_at,
            old_spis: (state.old_spi_i, state.old_spi_r),
        });
        let mut p = vec![Payload::Nonce(NoncePayload {
            data: sa.nr.clone(),
        })];
        p.extend(nat_notifies(&sa.spi_i, &sa.spi_r, local, remote));
        sa.fragmentation = super::ike_sa_init::fragmentation_agreed(&sa.conn, &msg.payloads);
        if sa.fragmentation {
            p.push(Payload::Notify(NotifyPayload::status(
                NotifyType::Ikev2FragmentationSupported,
            )));
        }
        let resp = sa.plain_message(ExchangeType::IkeSessionResume, 0, true, p);
        ctx.out.push_back(Transmit::ike(local, remote, &resp));
        sa.window.responded(0, bytes, vec![resp.clone()]);
        sa.init_response = resp;
        tracing::info!(conn = %sa.conn.name, spi_i = %crate::sa::hex8(&sa.spi_i), spi_r = %crate::sa::hex8(&spi_r), %remote, "IKE_SESSION_RESUME accepted; awaiting resumed IKE_AUTH");
        Ok(sa)
    }
}
