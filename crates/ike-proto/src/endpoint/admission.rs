//! Admission of the first message of a new SA (IKE_SA_INIT or IKE_SESSION_RESUME): retransmit
//! detection, payload rules, half-open limits and cookies (RFC 7296 §2.6), then the exchange.
//! Nothing is stored for a request that is refused.

use std::net::SocketAddr;
use std::time::Instant;

use ike_wire::{ExchangeType, Message, NotifyPayload, NotifyType, Payload};

use super::{Endpoint, accepts};
use crate::error::PeerMisbehaved;
use crate::exchange::ike_sa_init::{notify_response, refusal};
use crate::exchange::rules;
use crate::sa::IkeSa;
use crate::sa::window::hash_bytes;
use crate::transmit::Transmit;

impl Endpoint {
    pub(super) fn handle_first_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        msg: &Message,
    ) {
        let key = (msg.header.spi_i, remote);
        let hash = hash_bytes(bytes);
        if let Some((spi, h)) = self.half_open.get(&key).copied() {
            if h == hash {
                // Retransmitted request: resend our response; never build a second SA.
                if let Some(resp) = self.sas.get(&spi).map(|sa| sa.init_response.clone()) {
                    self.shared
                        .out
                        .push_back(Transmit::ike(local, remote, &resp));
                }
            }
            return;
        }
        if msg.header.message_id != 0 {
            return;
        }
        let exchange = msg.header.exchange_type;
        if let Err(e) = rules::check(exchange, false, &msg.payloads) {
            self.stats.init_refused += 1;
            self.shared
                .out
                .push_back(Transmit::ike(local, remote, &refusal(msg, &e)));
            return;
        }
        if self.half_open.len() >= self.shared.cfg.half_open_limit {
            self.stats.half_open_dropped += 1;
            return;
        }
        // Cookies before any ticket decryption or DH (RFC 7296 §2.6; the same for resumption).
        if self.half_open.len() >= self.shared.cfg.cookie_threshold
            && !self.cookie_ok(now, local, remote, msg)
        {
            return;
        }
        let unix = self.unix_at(now);
        let created = if exchange == ExchangeType::IkeSessionResume {
            match IkeSa::new_resume_responder(
                &mut self.shared.ctx(now, unix),
                local,
                remote,
                msg,
                bytes,
            ) {
                Ok(sa) => {
                    self.stats.resumes_accepted += 1;
                    Some(sa)
                }
                Err(why) => {
                    // RFC 5723 §4.3.2: an unprotected TICKET_NACK; the same answer for every
                    // reason, so the response is no oracle. The reason stays in our log.
                    self.stats.tickets_refused += 1;
                    tracing::info!(%remote, "IKE_SESSION_RESUME refused: {why}");
                    let resp = notify_response(msg, NotifyPayload::status(NotifyType::TicketNack));
                    self.shared
                        .out
                        .push_back(Transmit::ike(local, remote, &resp));
                    None
                }
            }
        } else {
            self.admit_init(now, unix, local, remote, bytes, msg)
        };
        if let Some(mut sa) = created {
            self.half_open.insert(key, (sa.spi_r, hash));
            sa.admission_key = Some(key);
            self.insert_sa(sa);
        }
    }

    fn admit_init(
        &mut self,
        now: Instant,
        unix: u64,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        msg: &Message,
    ) -> Option<IkeSa> {
        let Some(conn) = self
            .shared
            .conns
            .iter()
            .find(|c| accepts(c, local, remote))
            .cloned()
        else {
            self.stats.init_refused += 1;
            let resp = refusal(msg, &PeerMisbehaved::NoProposalChosen);
            self.shared
                .out
                .push_back(Transmit::ike(local, remote, &resp));
            return None;
        };
        match IkeSa::new_responder(
            &mut self.shared.ctx(now, unix),
            conn,
            local,
            remote,
            msg,
            bytes,
        ) {
            Ok(sa) => Some(sa),
            Err(e) => {
                self.stats.init_refused += 1;
                tracing::info!(%remote, error = %e, "IKE_SA_INIT refused");
                self.shared
                    .out
                    .push_back(Transmit::ike(local, remote, &refusal(msg, &e)));
                None
            }
        }
    }

    /// Under load, demand a valid cookie (RFC 7296 §2.6); send a challenge when it is missing.
    fn cookie_ok(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        msg: &Message,
    ) -> bool {
        self.cookies.maybe_rotate(now, &mut self.shared.rng);
        let ni = msg.payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(&n.data[..]),
            _ => None,
        });
        let Some(ni) = ni else { return false };
        if let Some(Payload::Notify(n)) = msg.payloads.first() {
            if n.notify_type == NotifyType::Cookie
                && self
                    .cookies
                    .verify(&n.data, ni, remote.ip(), &msg.header.spi_i)
            {
                return true;
            }
        }
        let cookie = self.cookies.make(ni, remote.ip(), &msg.header.spi_i);
        self.stats.cookies_sent += 1;
        let resp = notify_response(msg, NotifyPayload::new(NotifyType::Cookie, cookie));
        self.shared
            .out
            .push_back(Transmit::ike(local, remote, &resp));
        false
    }
}
