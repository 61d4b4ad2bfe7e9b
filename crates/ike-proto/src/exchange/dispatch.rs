//! Routing of an incoming message of an existing SA: window check, decryption, the rules table,
//! then the exchange handler. Also the SA's timer handling.

use std::net::SocketAddr;

use ike_wire::{ExchangeType, Message, NotifyType, Payload};

use super::{rules, status};
use crate::error::{PeerMisbehaved, SaError};
use crate::sa::message::Unprotect;
use crate::sa::window::{Inbound, Retransmit};
use crate::sa::{Ctx, IkeSa, Phase, RequestKind};
use crate::transmit::Transmit;

impl IkeSa {
    /// Handle a parsed message addressed to this SA.
    pub(crate) fn handle(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        msg: &Message,
    ) {
        if msg.header.flags.is_response() {
            self.handle_response(ctx, bytes, msg);
        } else {
            self.handle_request(ctx, local, remote, bytes, msg);
        }
        self.kick(ctx);
    }

    fn handle_response(&mut self, ctx: &mut Ctx<'_>, bytes: &[u8], msg: &Message) {
        let Some(out) = self.window.matches_response(msg.header.message_id) else {
            return;
        };
        let kind = out.kind.clone();
        let exchange = msg.header.exchange_type;
        if kind == RequestKind::Init {
            // Unprotected first exchange: IKE_SA_INIT, or IKE_SESSION_RESUME when resuming.
            let resuming = matches!(self.phase, Phase::ResumeSent { .. });
            let want = if resuming {
                ExchangeType::IkeSessionResume
            } else {
                ExchangeType::IkeSaInit
            };
            if exchange != want {
                return;
            }
            if let Err(e) = rules::check(exchange, true, &msg.payloads) {
                tracing::debug!(error = %e, "ignoring malformed {want:?} response");
                return;
            }
            if resuming {
                self.process_resume_response(ctx, msg, bytes);
            } else {
                self.process_init_response(ctx, msg, bytes);
            }
            return;
        }
        let payloads = match self.unprotect(ctx.now, bytes, msg) {
            Ok(p) => p,
            Err(Unprotect::Drop | Unprotect::Incomplete) => return,
            Err(Unprotect::Invalid(e)) => {
                self.window.complete();
                return self.close(ctx, SaError::Protocol(e));
            }
        };
        self.window.complete();
        self.last_inbound = ctx.now;
        if let Err(e) = rules::check(exchange, true, &payloads) {
            return self.close(ctx, SaError::Protocol(e));
        }
        match (kind, exchange) {
            (RequestKind::Auth, ExchangeType::IkeAuth) => {
                self.process_auth_response(ctx, &payloads)
            }
            (
                RequestKind::CreateChild(_) | RequestKind::RekeyChild(..) | RequestKind::RekeyIke,
                ExchangeType::CreateChildSa,
            ) => self.process_create_response(ctx, &payloads),
            (
                k @ (RequestKind::Dpd
                | RequestKind::DeleteIke
                | RequestKind::DeleteChild(_)
                | RequestKind::TicketRequest),
                ExchangeType::Informational,
            ) => self.process_info_response(ctx, k, &payloads),
            _ => self.close(
                ctx,
                SaError::Protocol(PeerMisbehaved::InvalidSyntax(
                    "response of the wrong exchange type",
                )),
            ),
        }
    }

    fn handle_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        msg: &Message,
    ) {
        let mid = msg.header.message_id;
        if let Some(Payload::EncryptedFragment(f)) = msg.payloads.last() {
            // RFC 7383 §2.6.3: a retransmitted fragmented request is answered (once, with the
            // whole cached response) when its authentic first fragment arrives again.
            if let Some(resp) = self.window.cached_response(mid) {
                if f.fragment_number == 1 && self.open_fragment(bytes).is_some() {
                    for d in &resp {
                        ctx.out.push_back(Transmit::ike(local, remote, d));
                    }
                }
                return;
            }
        }
        match self.window.classify_request(mid, bytes) {
            Inbound::New => {}
            Inbound::Retransmit(resp) => {
                for d in &resp {
                    ctx.out.push_back(Transmit::ike(local, remote, d));
                }
                return;
            }
            Inbound::Drop => return,
        }
        let exchange = msg.header.exchange_type;
        if exchange == ExchangeType::IkeSaInit {
            return; // a new IKE_SA_INIT never reaches an SA; retransmits were answered above.
        }
        let payloads = match self.unprotect(ctx.now, bytes, msg) {
            Ok(p) => p,
            Err(Unprotect::Drop | Unprotect::Incomplete) => return,
            Err(Unprotect::Invalid(e)) => return self.reject_request(ctx, exchange, mid, bytes, e),
        };
        // Authenticated: the peer may have moved (NAT rebinding, or strongSwan floating to its
        // NAT-T port); answer where the request came from (RFC 7296 §2.11, §2.23).
        if remote != self.remote || local != self.local {
            tracing::debug!(old = %self.remote, new = %remote, "peer address changed");
            self.remote = remote;
            self.local = local;
        }
        self.last_inbound = ctx.now;
        if let Err(e) = rules::check(exchange, false, &payloads) {
            return self.reject_request(ctx, exchange, mid, bytes, e);
        }
        match (&self.phase, exchange) {
            (Phase::InitReplied, ExchangeType::IkeAuth) => {
                self.process_auth_request(ctx, mid, bytes, &payloads)
            }
            (Phase::Established | Phase::Deleting, ExchangeType::Informational) => {
                self.process_info_request(ctx, mid, bytes, &payloads)
            }
            (Phase::Established, ExchangeType::CreateChildSa) => {
                self.process_create_request(ctx, mid, bytes, &payloads)
            }
            (Phase::Deleting, ExchangeType::CreateChildSa) => {
                let notify = [status(NotifyType::TemporaryFailure)];
                let _ = self.send_response(ctx, exchange, mid, bytes, &notify);
            }
            _ => self.reject_request(
                ctx,
                exchange,
                mid,
                bytes,
                PeerMisbehaved::InvalidSyntax("unexpected exchange"),
            ),
        }
    }

    /// Answer a request we cannot process with a protected error notify. In IKE_AUTH the SA
    /// cannot continue; in later exchanges it survives (RFC 7296 §2.21.2, §2.21.3).
    fn reject_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        mid: u32,
        bytes: &[u8],
        e: PeerMisbehaved,
    ) {
        tracing::warn!(conn = %self.conn.name, error = %e, ?exchange, "rejecting request");
        let notify = Payload::Notify(ike_wire::NotifyPayload::status(e.notify()));
        let _ = self.send_response(ctx, exchange, mid, bytes, &[notify]);
        if self.is_half_open() {
            self.close(ctx, SaError::Protocol(e));
        }
    }

    /// Queue rekeys whose soft lifetime passed; drop Child SAs past their hard lifetime.
    fn lifetimes(&mut self, ctx: &mut Ctx<'_>) {
        if !matches!(self.phase, Phase::Established) {
            return;
        }
        if self.rekey_at.is_some_and(|t| ctx.now >= t) {
            self.rekey_at = None;
            self.queue.push_back(RequestKind::RekeyIke);
        }
        if self.ticket_renew_at.is_some_and(|t| ctx.now >= t) {
            self.ticket_renew_at = None;
            self.queue.push_back(RequestKind::TicketRequest);
        }
        let mut expired = Vec::new();
        for c in &mut self.children {
            if c.expire_at.is_some_and(|t| ctx.now >= t) {
                expired.push(c.spi_in);
            } else if c.rekey_at.is_some_and(|t| ctx.now >= t) {
                c.rekey_at = None;
                if let Some(i) = self.conn.children.iter().position(|t| t.name == c.name) {
                    self.queue.push_back(RequestKind::RekeyChild(i, c.spi_in));
                }
            }
        }
        for spi in expired {
            tracing::info!(conn = %self.conn.name, spi_in = format!("{spi:08x}"), "Child SA hard lifetime reached");
            self.queue.push_back(RequestKind::DeleteChild(spi));
            if let Some(c) = self.children.iter_mut().find(|c| c.spi_in == spi) {
                c.expire_at = None; // the delete is queued; do not fire again
            }
        }
    }

    /// Handle expired timers.
    pub(crate) fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        for slot in [&mut self.frag_in_request, &mut self.frag_in_response] {
            if slot
                .as_ref()
                .is_some_and(|r| ctx.now >= r.started + crate::sa::fragment::REASSEMBLY_TIMEOUT)
            {
                tracing::debug!(conn = %self.conn.name, "incomplete fragment set dropped");
                *slot = None;
            }
        }
        match self.window.on_timeout(ctx.now, ctx.cfg) {
            Retransmit::Nothing => {}
            Retransmit::Resend(p) => {
                tracing::debug!(conn = %self.conn.name, "retransmitting");
                self.resend(ctx, &p);
            }
            Retransmit::GiveUp => {
                if matches!(self.phase, Phase::ResumeSent { .. }) {
                    return self.fall_back(ctx, "no answer to IKE_SESSION_RESUME");
                }
                let dpd = self
                    .window
                    .complete()
                    .is_some_and(|o| o.kind == RequestKind::Dpd);
                return self.close(
                    ctx,
                    if dpd {
                        SaError::DeadPeer
                    } else {
                        SaError::Timeout
                    },
                );
            }
        }
        if self.is_half_open() && ctx.now >= self.created + ctx.cfg.half_open_timeout {
            return self.close(ctx, SaError::HalfOpenExpired);
        }
        self.lifetimes(ctx);
        if matches!(self.phase, Phase::Established)
            && !self.conn.dpd_delay.is_zero()
            && self.window.is_idle()
            && self.queue.is_empty()
            && ctx.now >= self.last_inbound + self.conn.dpd_delay
        {
            self.queue.push_back(RequestKind::Dpd);
        }
        self.kick(ctx);
    }
}
