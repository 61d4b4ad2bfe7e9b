//! Child SA negotiation inside IKE_AUTH (RFC 7296 §1.2, §2.9, §2.17): ESP proposals, traffic
//! selectors with narrowing, transport mode, and KEYMAT.

use ike_crypto::derive_child_keys;
use ike_wire::{NotifyType, Payload, SaPayload};
use rand_core::RngCore;

use super::{find_notify, notifies, status};
use crate::config::{ChildConfig, ChildMode};
use crate::event::Event;
use crate::proposal::{self, ChosenEsp};
use crate::sa::{ChildSa, Ctx, IkeSa};
use crate::ts;

/// A random, non-zero inbound ESP SPI (values 1–255 are reserved by IANA, RFC 4303 §2.1).
pub(crate) fn random_child_spi(ctx: &mut Ctx<'_>) -> u32 {
    loop {
        let s = ctx.rng.next_u32();
        if s > 255 {
            return s;
        }
    }
}

/// SA, TSi, TSr (and USE_TRANSPORT_MODE) offering `child` with our inbound `spi`.
pub(crate) fn initiator_payloads(sa: &IkeSa, child: &ChildConfig, spi: u32) -> Vec<Payload> {
    let mut p = Vec::with_capacity(4);
    if child.mode == ChildMode::Transport {
        p.push(status(NotifyType::UseTransportMode));
    }
    p.push(Payload::Sa(proposal::esp_sa_payload(
        &child.esp_proposals,
        spi,
        false,
    )));
    p.push(Payload::TsI(ts::to_payload(&ts::resolve(
        &child.local_ts,
        sa.local.ip(),
    ))));
    p.push(Payload::TsR(ts::to_payload(&ts::resolve(
        &child.remote_ts,
        sa.remote.ip(),
    ))));
    p
}

/// The Child SA part of a message: SA, TSi, TSr and whether transport mode was asked for.
pub(crate) struct ChildRequest<'a> {
    pub sa: &'a SaPayload,
    pub tsi: Vec<crate::config::TsConfig>,
    pub tsr: Vec<crate::config::TsConfig>,
    pub transport: bool,
}

pub(crate) fn child_request(payloads: &[Payload]) -> Option<ChildRequest<'_>> {
    let (mut sa, mut tsi, mut tsr) = (None, None, None);
    for p in payloads {
        match p {
            Payload::Sa(s) => sa = Some(s),
            Payload::TsI(t) => tsi = Some(ts::from_payload(t)),
            Payload::TsR(t) => tsr = Some(ts::from_payload(t)),
            _ => {}
        }
    }
    Some(ChildRequest {
        sa: sa?,
        tsi: tsi?,
        tsr: tsr?,
        transport: find_notify(payloads, NotifyType::UseTransportMode).is_some(),
    })
}

/// Keying inputs of a CREATE_CHILD_SA exchange: (Ni, Nr, g^ir for PFS).
pub(crate) type ExchangeKeying<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>);

/// KEYMAT for a Child SA (RFC 7296 §2.17) as a `ChildUp` event. `exchange` holds the
/// CREATE_CHILD_SA nonces (the exchange initiator's first) and the PFS secret; `None` for the
/// IKE_AUTH child, which uses the IKE SA's nonces.
pub(crate) fn child_keys_event(
    sa: &IkeSa,
    child: &ChildSa,
    chosen: &ChosenEsp,
    exchange: Option<ExchangeKeying<'_>>,
    we_initiated: bool,
) -> Option<Event> {
    let keys = sa.keys.as_ref()?;
    let (ni, nr, g_ir) = exchange.unwrap_or((&sa.ni, &sa.nr, None));
    let k = derive_child_keys(
        keys.prf,
        keys.sk_d.expose(),
        g_ir,
        ni,
        nr,
        chosen.encr,
        chosen.integ,
    )
    .ok()?;
    Some(Event::ChildUp {
        connection: sa.conn.name.clone(),
        child: child.name.clone(),
        spi_in: child.spi_in,
        spi_out: child.spi_out,
        encr: chosen.encr,
        integ: chosen.integ,
        keys: k,
        initiator: we_initiated,
        mode: child.mode,
    })
}

/// Responder: negotiate the Child SA of an IKE_AUTH request, appending the response payloads
/// (or the error notify that rejects the child while the IKE SA stays up).
pub(crate) fn respond_in_auth(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    payloads: &[Payload],
    resp: &mut Vec<Payload>,
) -> Option<Event> {
    // RFC 6023 childless initiation: no SA payload means no child.
    let req = child_request(payloads)?;
    let mut no_proposal = false;
    for tmpl in &sa.conn.children {
        let allowed_i = ts::resolve(&tmpl.remote_ts, sa.remote.ip());
        let allowed_r = ts::resolve(&tmpl.local_ts, sa.local.ip());
        let tsi = ts::narrow(&req.tsi, &allowed_i);
        let tsr = ts::narrow(&req.tsr, &allowed_r);
        if tsi.is_empty() || tsr.is_empty() {
            continue;
        }
        let Some(mut chosen) = proposal::select_esp(req.sa, &tmpl.esp_proposals, None) else {
            no_proposal = true;
            continue;
        };
        let spi_in = random_child_spi(ctx);
        chosen.proposal.spi = spi_in.to_be_bytes().to_vec();
        let mode = if req.transport && tmpl.mode == ChildMode::Transport {
            ChildMode::Transport
        } else {
            ChildMode::Tunnel
        };
        if mode == ChildMode::Transport {
            resp.push(status(NotifyType::UseTransportMode));
        }
        resp.push(Payload::Sa(SaPayload {
            proposals: vec![chosen.proposal.clone()],
        }));
        resp.push(Payload::TsI(ts::to_payload(&tsi)));
        resp.push(Payload::TsR(ts::to_payload(&tsr)));
        let child = ChildSa::new(tmpl, spi_in, &chosen, mode, tsr, tsi, ctx.now);
        let ev = child_keys_event(sa, &child, &chosen, None, false);
        sa.children.push(child);
        return ev;
    }
    let err = if no_proposal {
        NotifyType::NoProposalChosen
    } else {
        NotifyType::TsUnacceptable
    };
    tracing::warn!(conn = %sa.conn.name, ?err, "Child SA in IKE_AUTH refused; IKE SA stays up");
    resp.push(status(err));
    None
}

/// Initiator: accept the Child SA of the IKE_AUTH response, checking it against our offer.
pub(crate) fn accept_in_auth(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    payloads: &[Payload],
) -> Option<Event> {
    let (idx, spi_in) = sa.pending_child.take()?;
    let tmpl = sa.conn.children.get(idx)?.clone();
    if let Some(err) = notifies(payloads)
        .map(|n| n.notify_type)
        .find(|t| t.is_error())
    {
        tracing::warn!(conn = %sa.conn.name, child = %tmpl.name, ?err, "peer refused the Child SA; IKE SA stays up");
        return None;
    }
    let Some(resp) = child_request(payloads) else {
        tracing::warn!(conn = %sa.conn.name, child = %tmpl.name, "IKE_AUTH response has no Child SA");
        return None;
    };
    let ok_shape = resp.sa.proposals.len() == 1;
    let chosen = ok_shape
        .then(|| proposal::select_esp(resp.sa, &tmpl.esp_proposals, None))
        .flatten();
    let offered_i = ts::resolve(&tmpl.local_ts, sa.local.ip());
    let offered_r = ts::resolve(&tmpl.remote_ts, sa.remote.ip());
    let Some(chosen) = chosen
        .filter(|_| ts::is_subset(&resp.tsi, &offered_i) && ts::is_subset(&resp.tsr, &offered_r))
    else {
        // The peer accepted something we did not offer: do not use it, delete it (§2.9).
        tracing::warn!(conn = %sa.conn.name, child = %tmpl.name, "Child SA response does not match our offer; deleting it");
        if let Some(spi) = resp
            .sa
            .proposals
            .first()
            .and_then(|p| <[u8; 4]>::try_from(p.spi.as_slice()).ok())
        {
            let _ = spi;
            sa.queue
                .push_back(crate::sa::RequestKind::DeleteChild(spi_in));
        }
        return None;
    };
    let mode = if resp.transport && tmpl.mode == ChildMode::Transport {
        ChildMode::Transport
    } else {
        ChildMode::Tunnel
    };
    let child = ChildSa::new(&tmpl, spi_in, &chosen, mode, resp.tsi, resp.tsr, ctx.now);
    let ev = child_keys_event(sa, &child, &chosen, None, true);
    sa.children.push(child);
    ev
}
