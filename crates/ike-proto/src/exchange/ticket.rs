//! RFC 5723 tickets inside existing exchanges: the gateway issuing N(TICKET_LT_OPAQUE) in
//! IKE_AUTH and INFORMATIONAL responses, and the client taking them (§4.1, §4.2, §6).

use std::time::Duration;

use ike_wire::{NotifyPayload, NotifyType, Payload, TicketLtOpaque};
use rand_core::RngCore;

use super::find_notify;
use crate::config::{AuthConfig, ConnectionConfig};
use crate::sa::{Ctx, HeldTicket, IkeSa};
use crate::ticket::{ResumptionState, TicketKeyRing, UsedTickets};

/// The gateway's ticket machinery, shared by all SAs of an endpoint.
pub(crate) struct TicketState {
    /// Key ring; `None` until the driver installs one (then no tickets are issued).
    pub ring: Option<TicketKeyRing>,
    /// Tickets already used for a successful resumption (RFC 5723 §4.3.1, #12).
    pub used: UsedTickets,
}

/// Fingerprint of what a ticket's connection requires for authentication. A ticket only resumes
/// while these settings are unchanged (a changed PSK, CA or identity invalidates old tickets).
pub(crate) fn policy_hash(conn: &ConnectionConfig) -> [u8; 16] {
    let mut parts: Vec<Vec<u8>> = vec![conn.name.as_bytes().to_vec(), conn.local_id.data.clone()];
    if let Some(r) = &conn.remote_id {
        parts.push(vec![u8::from(r.id_type)]);
        parts.push(r.data.clone());
    }
    match &conn.remote_auth {
        AuthConfig::Psk(psk) => {
            parts.push(b"psk".to_vec());
            // A MAC keyed by the PSK: changes with it, reveals nothing about it.
            parts.push(
                ike_crypto::PrfAlg::HmacSha256
                    .prf(psk.expose(), &[b"tessera ticket policy"])
                    .expose()
                    .to_vec(),
            );
        }
        AuthConfig::PubKey(pk) => {
            parts.push(b"pubkey".to_vec());
            for ca in &pk.cas {
                parts.push(ike_crypto::hash::sha1(&[ca.der()]).to_vec());
            }
        }
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let mac = ike_crypto::PrfAlg::HmacSha256.prf(b"tessera policy hash v1", &refs);
    let mut out = [0u8; 16];
    out.copy_from_slice(&mac.expose()[..16]);
    out
}

/// Gateway: the one ticket notify answering a TICKET_REQUEST (§4.1): LT_OPAQUE when a ticket is
/// issued, NACK when policy says no or sealing fails.
pub(crate) fn answer_ticket_request(sa: &IkeSa, ctx: &mut Ctx<'_>) -> Payload {
    match issue(sa, ctx) {
        Some((lifetime, ticket)) => {
            Payload::Notify(NotifyPayload::ticket_lt_opaque(lifetime, ticket))
        }
        None => Payload::Notify(NotifyPayload::status(NotifyType::TicketNack)),
    }
}

fn issue(sa: &IkeSa, ctx: &mut Ctx<'_>) -> Option<(u32, Vec<u8>)> {
    let conn = &sa.conn;
    if !conn.resumption.issue_tickets {
        return None;
    }
    let ring = ctx.tickets.ring.as_ref()?;
    let keys = sa.keys.as_ref()?;
    let suite = sa.suite?;
    // Lifetime = min(configured cap, remaining IKE SA life): we have no hard IKE lifetime or
    // re-authentication interval, so the cap bounds it; always finite.
    let lifetime = conn
        .resumption
        .ticket_lifetime
        .min(Duration::from_secs(u64::from(u32::MAX)))
        .as_secs();
    let mut ticket_id = [0u8; 16];
    ctx.rng.fill_bytes(&mut ticket_id);
    let state = ResumptionState {
        connection: conn.name.clone(),
        id_i: sa.peer_id.clone()?,
        id_r: conn.local_id.clone(),
        auth_method: sa.peer_auth_method,
        policy_hash: policy_hash(conn),
        suite,
        // The ticket must carry SK_d (that is what resumption derives from); the copy lives
        // only inside the zeroizing encoder buffer and the AEAD ciphertext.
        sk_d: keys.sk_d.duplicate(),
        issued_at: ctx.unix,
        expires_at: ctx.unix + lifetime,
        ticket_id,
        old_spi_i: sa.spi_i,
        old_spi_r: sa.spi_r,
    };
    let plain = state.encode();
    let ticket = ring.seal(plain.expose(), ctx.rng).ok()?;
    // RFC 7383 §2.5 / DESIGN: IKE_SESSION_RESUME is never fragmented, so the ticket must fit one
    // datagram with the marker, header, Ni, NAT-D, a cookie and the fragmentation notify.
    let resume_len = 4 + 28 + (4 + 32) + (8 + ticket.len()) + 2 * (8 + 20) + (8 + 17) + 8;
    if resume_len > ctx.cfg.fragment_mtu {
        tracing::warn!(
            conn = %conn.name, ticket = ticket.len(), resume_len, mtu = ctx.cfg.fragment_mtu,
            "not issuing a ticket: IKE_SESSION_RESUME would exceed one datagram"
        );
        return None;
    }
    tracing::info!(conn = %conn.name, spi_i = %crate::sa::hex8(&sa.spi_i), lifetime, len = ticket.len(), "issued resumption ticket");
    Some((lifetime as u32, ticket))
}

/// Client: take the ticket notify of a response that answered our TICKET_REQUEST.
pub(crate) fn absorb(sa: &mut IkeSa, ctx: &mut Ctx<'_>, payloads: &[Payload]) {
    if let Some(n) = find_notify(payloads, NotifyType::TicketLtOpaque) {
        match TicketLtOpaque::parse(&n.data) {
            Ok(t) if t.lifetime > 0 => {
                tracing::info!(conn = %sa.conn.name, lifetime = t.lifetime, len = t.ticket.len(), "received resumption ticket");
                sa.ticket = Some(HeldTicket {
                    bytes: t.ticket,
                    expires_at: ctx.unix + u64::from(t.lifetime),
                });
                // Renew at 90% of the lifetime so a usable ticket is always held (§4.1).
                sa.ticket_renew_at =
                    Some(ctx.now + Duration::from_secs(u64::from(t.lifetime) * 9 / 10));
            }
            _ => tracing::warn!(conn = %sa.conn.name, "malformed TICKET_LT_OPAQUE ignored"),
        }
    } else if find_notify(payloads, NotifyType::TicketAck).is_some() {
        // "No ticket now; ask later" (§4.1): try again in a minute.
        tracing::info!(conn = %sa.conn.name, "gateway acknowledged the ticket request without a ticket; will ask again");
        sa.ticket_renew_at = Some(ctx.now + Duration::from_secs(60));
    } else if find_notify(payloads, NotifyType::TicketNack).is_some() {
        tracing::info!(conn = %sa.conn.name, "gateway declined to issue a resumption ticket");
    }
}
