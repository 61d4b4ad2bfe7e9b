//! CREATE_CHILD_SA (RFC 7296 §1.3): new Child SAs, Child SA rekey and IKE SA rekey, both roles,
//! with the simultaneous-rekey rule of §2.8.1 (the exchange with the lowest nonce loses).

use std::time::Instant;

use ike_crypto::{DhAlg, KeyExchange, skeyseed_rekey};
use ike_wire::{
    ExchangeType, KePayload, NoncePayload, NotifyPayload, NotifyType, Payload, ProtocolId,
    SaPayload,
};

use super::child::{ChildRequest, child_keys_event, child_request, random_child_spi};
use super::ike_sa_init::{install_keys, random_nonce, random_spi};
use super::{find_notify, first_error, status};
use crate::config::{ChildConfig, ChildMode};
use crate::error::{PeerMisbehaved, SaError};
use crate::proposal;
use crate::sa::{ChildSa, Ctx, IkeSa, Phase, RequestKind};
use crate::ts;

/// What our outstanding CREATE_CHILD_SA request is doing.
#[derive(Debug)]
pub(crate) enum CreateKind {
    /// A new Child SA from template `tmpl`.
    Child { tmpl: usize },
    /// Rekey of the Child SA with our inbound SPI `old`.
    RekeyChild { old: u32 },
    /// Rekey of the IKE SA; `new_spi` is our SPI of the new SA.
    RekeyIke { new_spi: [u8; 8] },
}

/// State of our outstanding CREATE_CHILD_SA request.
pub(crate) struct PendingCreate {
    /// Purpose.
    pub kind: CreateKind,
    /// Our nonce.
    pub nonce: Vec<u8>,
    /// Our KE value, if the exchange carries one.
    pub ke: Option<KeyExchange>,
    /// Our new inbound ESP SPI (child kinds).
    pub spi_in: u32,
    /// The peer rekeyed the same SA meanwhile: nonces of that exchange (theirs, ours).
    pub collided: Option<(Vec<u8>, Vec<u8>, u32)>,
}

impl std::fmt::Debug for PendingCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCreate")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn nonce_of(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match p {
        Payload::Nonce(n) => Some(&n.data[..]),
        _ => None,
    })
}

fn ke_of(payloads: &[Payload]) -> Option<&KePayload> {
    payloads.iter().find_map(|p| match p {
        Payload::Ke(k) => Some(k),
        _ => None,
    })
}

fn rekey_sa_spi(payloads: &[Payload]) -> Option<u32> {
    let n = find_notify(payloads, NotifyType::RekeySa)?;
    matches!(n.protocol, ProtocolId::Esp | ProtocolId::Ah)
        .then(|| {
            <[u8; 4]>::try_from(n.spi.as_slice())
                .ok()
                .map(u32::from_be_bytes)
        })
        .flatten()
}

/// The smallest of all nonces decides a collision (§2.8.1): true if `ours` holds it.
fn lowest_nonce_is_in(ours: (&[u8], &[u8]), theirs: (&[u8], &[u8])) -> bool {
    let min_ours = ours.0.min(ours.1);
    let min_theirs = theirs.0.min(theirs.1);
    min_ours < min_theirs
}

impl IkeSa {
    fn template_index(&self, name: &str) -> Option<usize> {
        self.conn.children.iter().position(|c| c.name == name)
    }

    /// Build and send a queued CREATE_CHILD_SA request.
    pub(crate) fn start_create(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: RequestKind,
    ) -> Result<(), SaError> {
        let nonce = random_nonce(ctx);
        let mut p = Vec::with_capacity(6);
        let (create, ke, spi_in) = match kind {
            RequestKind::CreateChild(tmpl) | RequestKind::RekeyChild(tmpl, _) => {
                let Some(t) = self.conn.children.get(tmpl).cloned() else {
                    return Ok(());
                };
                let spi_in = random_child_spi(ctx);
                let create = if let RequestKind::RekeyChild(_, old) = kind {
                    let Some(c) = self.children.iter().find(|c| c.spi_in == old) else {
                        return Ok(());
                    };
                    p.push(Payload::Notify(NotifyPayload::with_spi(
                        ProtocolId::Esp,
                        old.to_be_bytes().to_vec(),
                        NotifyType::RekeySa,
                        Vec::new(),
                    )));
                    if c.mode == ChildMode::Transport {
                        p.push(status(NotifyType::UseTransportMode));
                    }
                    CreateKind::RekeyChild { old }
                } else {
                    if t.mode == ChildMode::Transport {
                        p.push(status(NotifyType::UseTransportMode));
                    }
                    CreateKind::Child { tmpl }
                };
                let pfs = t.esp_proposals.first().and_then(|e| e.dh.first().copied());
                p.push(Payload::Sa(proposal::esp_sa_payload(
                    &t.esp_proposals,
                    spi_in,
                    pfs.is_some(),
                )));
                p.push(Payload::Nonce(NoncePayload {
                    data: nonce.clone(),
                }));
                let ke = match pfs {
                    Some(g) => Some(KeyExchange::generate(g, ctx.rng)?),
                    None => None,
                };
                if let Some(k) = &ke {
                    p.push(Payload::Ke(KePayload {
                        group: k.alg().to_wire(),
                        data: k.public_key().to_vec(),
                    }));
                }
                let (tsi, tsr) = match &create {
                    CreateKind::RekeyChild { old } => {
                        let c = self
                            .children
                            .iter()
                            .find(|c| c.spi_in == *old)
                            .expect("checked above");
                        (c.local_ts.clone(), c.remote_ts.clone())
                    }
                    _ => (
                        ts::resolve(&t.local_ts, self.local.ip()),
                        ts::resolve(&t.remote_ts, self.remote.ip()),
                    ),
                };
                p.push(Payload::TsI(ts::to_payload(&tsi)));
                p.push(Payload::TsR(ts::to_payload(&tsr)));
                (create, ke, spi_in)
            }
            RequestKind::RekeyIke => {
                let new_spi = random_spi(ctx);
                let dh = self
                    .suite
                    .map(|s| s.dh)
                    .or_else(|| IkeSa::first_dh(&self.conn))
                    .unwrap_or(DhAlg::Curve25519);
                let ke = KeyExchange::generate(dh, ctx.rng)?;
                p.push(Payload::Sa(proposal::ike_sa_payload(
                    &self.conn.ike_proposals,
                    &new_spi,
                )));
                p.push(Payload::Nonce(NoncePayload {
                    data: nonce.clone(),
                }));
                p.push(Payload::Ke(KePayload {
                    group: ke.alg().to_wire(),
                    data: ke.public_key().to_vec(),
                }));
                // RFC 5723 §4.1/§6.2: the old SA's ticket dies with it; a client rekeying asks
                // for a ticket describing the new SA in the same exchange.
                if !self.gateway && self.conn.resumption.request_tickets {
                    p.push(status(NotifyType::TicketRequest));
                }
                (CreateKind::RekeyIke { new_spi }, Some(ke), 0)
            }
            _ => return Ok(()),
        };
        self.send_request(ctx, ExchangeType::CreateChildSa, kind, &p)?;
        self.pending_create = Some(PendingCreate {
            kind: create,
            nonce,
            ke,
            spi_in,
            collided: None,
        });
        Ok(())
    }

    /// Answer a CREATE_CHILD_SA request.
    pub(crate) fn process_create_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        bytes: &[u8],
        payloads: &[Payload],
    ) {
        let ike_rekey = payloads.iter().any(|p| matches!(p, Payload::Sa(s) if s.proposals.iter().any(|x| x.protocol == ProtocolId::Ike)));
        let result = if ike_rekey {
            self.respond_ike_rekey(ctx, payloads)
        } else {
            self.respond_child(ctx, payloads)
        };
        let resp = match result {
            Ok(r) => r,
            Err(n) => vec![n],
        };
        if let Err(e) = self.send_response(ctx, ExchangeType::CreateChildSa, mid, bytes, &resp) {
            self.close(ctx, e);
        }
    }

    fn respond_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        payloads: &[Payload],
    ) -> Result<Vec<Payload>, Payload> {
        let req: ChildRequest<'_> =
            child_request(payloads).ok_or_else(|| status(NotifyType::InvalidSyntax))?;
        let ni = nonce_of(payloads)
            .ok_or_else(|| status(NotifyType::InvalidSyntax))?
            .to_vec();
        let rekeyed = rekey_sa_spi(payloads);
        let (tmpl_idx, old) = match rekeyed {
            Some(spi_out) => {
                let c = self
                    .children
                    .iter()
                    .find(|c| c.spi_out == spi_out)
                    .ok_or_else(|| {
                        Payload::Notify(NotifyPayload::with_spi(
                            ProtocolId::Esp,
                            spi_out.to_be_bytes().to_vec(),
                            NotifyType::ChildSaNotFound,
                            Vec::new(),
                        ))
                    })?;
                (self.template_index(&c.name), Some(c.spi_in))
            }
            None => (None, None),
        };
        let ke = ke_of(payloads);
        let pfs = ke.map(|k| DhAlg::from_wire(k.group));
        if pfs == Some(None) {
            return Err(status(NotifyType::NoProposalChosen));
        }
        let candidates: Vec<(usize, ChildConfig)> = match tmpl_idx {
            Some(i) => vec![(i, self.conn.children[i].clone())],
            None => self.conn.children.iter().cloned().enumerate().collect(),
        };
        let mut err = NotifyType::TsUnacceptable;
        for (_, tmpl) in candidates {
            let tsi = ts::narrow(&req.tsi, &ts::resolve(&tmpl.remote_ts, self.remote.ip()));
            let tsr = ts::narrow(&req.tsr, &ts::resolve(&tmpl.local_ts, self.local.ip()));
            if tsi.is_empty() || tsr.is_empty() {
                continue;
            }
            let Some(mut chosen) =
                proposal::select_esp(req.sa, &tmpl.esp_proposals, Some(pfs.flatten()))
            else {
                err = match (
                    pfs.flatten(),
                    tmpl.esp_proposals
                        .iter()
                        .find_map(|p| p.dh.first().copied()),
                ) {
                    (Some(g), Some(want)) if g != want => NotifyType::InvalidKePayload,
                    _ => NotifyType::NoProposalChosen,
                };
                if err == NotifyType::InvalidKePayload {
                    let want = tmpl
                        .esp_proposals
                        .iter()
                        .find_map(|p| p.dh.first().copied())
                        .expect("checked");
                    return Err(Payload::Notify(NotifyPayload::new(
                        err,
                        u16::from(want.to_wire()).to_be_bytes().to_vec(),
                    )));
                }
                continue;
            };
            let nr = random_nonce(ctx);
            let (g_ir, our_ke) = match (chosen.dh, ke) {
                (Some(g), Some(k)) => {
                    let ours = KeyExchange::generate(g, ctx.rng)
                        .map_err(|_| status(NotifyType::NoProposalChosen))?;
                    let shared = ours
                        .compute_shared(&k.data)
                        .map_err(|_| status(NotifyType::InvalidSyntax))?;
                    (Some(shared), Some(ours))
                }
                _ => (None, None),
            };
            let spi_in = random_child_spi(ctx);
            chosen.proposal.spi = spi_in.to_be_bytes().to_vec();
            let mode = if req.transport && tmpl.mode == ChildMode::Transport {
                ChildMode::Transport
            } else {
                ChildMode::Tunnel
            };
            let mut resp = Vec::with_capacity(6);
            if mode == ChildMode::Transport {
                resp.push(status(NotifyType::UseTransportMode));
            }
            resp.push(Payload::Sa(SaPayload {
                proposals: vec![chosen.proposal.clone()],
            }));
            resp.push(Payload::Nonce(NoncePayload { data: nr.clone() }));
            if let Some(k) = &our_ke {
                resp.push(Payload::Ke(KePayload {
                    group: k.alg().to_wire(),
                    data: k.public_key().to_vec(),
                }));
            }
            resp.push(Payload::TsI(ts::to_payload(&tsi)));
            resp.push(Payload::TsR(ts::to_payload(&tsr)));
            let child = ChildSa::new(&tmpl, spi_in, &chosen, mode, tsr, tsi, ctx.now);
            let ev = child_keys_event(
                self,
                &child,
                &chosen,
                Some((&ni, &nr, g_ir.as_ref().map(|g| g.expose()))),
                false,
            );
            // Collision: we are rekeying the same Child SA ourselves (§2.8.1).
            if let (Some(old_in), Some(pc)) = (old, self.pending_create.as_mut()) {
                if matches!(pc.kind, CreateKind::RekeyChild { old } if old == old_in) {
                    pc.collided = Some((ni.clone(), nr.clone(), spi_in));
                }
            }
            if let Some(old_in) = old {
                // The initiator of the rekey deletes the old SA; stop our own rekey timer for it.
                if let Some(c) = self.children.iter_mut().find(|c| c.spi_in == old_in) {
                    c.rekey_at = None;
                }
            }
            self.children.push(child);
            ctx.events.extend(ev);
            return Ok(resp);
        }
        tracing::info!(conn = %self.conn.name, ?err, "CREATE_CHILD_SA refused");
        Err(status(err))
    }

    fn respond_ike_rekey(
        &mut self,
        ctx: &mut Ctx<'_>,
        payloads: &[Payload],
    ) -> Result<Vec<Payload>, Payload> {
        let sa_p = payloads
            .iter()
            .find_map(|p| match p {
                Payload::Sa(s) => Some(s),
                _ => None,
            })
            .ok_or_else(|| status(NotifyType::InvalidSyntax))?;
        let ni = nonce_of(payloads)
            .ok_or_else(|| status(NotifyType::InvalidSyntax))?
            .to_vec();
        let ke = ke_of(payloads).ok_or_else(|| status(NotifyType::InvalidSyntax))?;
        if !matches!(
            self.pending_create,
            None | Some(PendingCreate {
                kind: CreateKind::Child { .. },
                ..
            })
        ) {
            // We are rekeying ourselves; the simple, interoperable answer (strongSwan does the
            // same while its own rekey is in progress) is TEMPORARY_FAILURE: the peer retries.
            return Err(status(NotifyType::TemporaryFailure));
        }
        let group = DhAlg::from_wire(ke.group);
        let chosen = match group
            .and_then(|g| proposal::select_ike(sa_p, &self.conn.ike_proposals, Some(g)))
        {
            Some(c) => c,
            None => {
                return Err(
                    match proposal::select_ike(sa_p, &self.conn.ike_proposals, None) {
                        Some(c) => Payload::Notify(NotifyPayload::new(
                            NotifyType::InvalidKePayload,
                            u16::from(c.suite.dh.to_wire()).to_be_bytes().to_vec(),
                        )),
                        None => status(NotifyType::NoProposalChosen),
                    },
                );
            }
        };
        let peer_spi: [u8; 8] = chosen
            .proposal
            .spi
            .as_slice()
            .try_into()
            .map_err(|_| status(NotifyType::InvalidSyntax))?;
        let ours = KeyExchange::generate(chosen.suite.dh, ctx.rng)
            .map_err(|_| status(NotifyType::NoProposalChosen))?;
        let shared = ours
            .compute_shared(&ke.data)
            .map_err(|_| status(NotifyType::InvalidSyntax))?;
        let nr = random_nonce(ctx);
        let new_spi = random_spi(ctx);
        let mut proposal = chosen.proposal.clone();
        proposal.spi = new_spi.to_vec();
        let new = self
            .rekeyed_sa(
                ctx.now,
                ctx.cfg.export_keys,
                false,
                peer_spi,
                new_spi,
                ni,
                nr.clone(),
                chosen.suite,
                shared.expose(),
            )
            .map_err(|_| status(NotifyType::NoProposalChosen))?;
        let mut resp = vec![
            Payload::Sa(SaPayload {
                proposals: vec![proposal],
            }),
            Payload::Nonce(NoncePayload { data: nr }),
            Payload::Ke(KePayload {
                group: ours.alg().to_wire(),
                data: ours.public_key().to_vec(),
            }),
        ];
        if self.gateway && find_notify(payloads, NotifyType::TicketRequest).is_some() {
            // The ticket describes the new SA (conformance §I.4).
            resp.push(super::ticket::answer_ticket_request(&new, ctx));
        }
        ctx.events.push_back(crate::Event::IkeRekeyed {
            connection: self.conn.name.clone(),
            old_local_spi: self.local_spi(),
            new_local_spi: new.local_spi(),
        });
        ctx.spawned.push(new);
        self.superseded = true;
        self.phase = Phase::Deleting; // the initiator of the rekey deletes this SA
        Ok(resp)
    }

    /// Build the SA that replaces this one after an IKE rekey; moves the Child SAs over.
    #[allow(clippy::too_many_arguments)]
    fn rekeyed_sa(
        &mut self,
        now: Instant,
        export: bool,
        we_initiated: bool,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        ni: Vec<u8>,
        nr: Vec<u8>,
        suite: ike_crypto::IkeSuite,
        g_ir: &[u8],
    ) -> Result<IkeSa, SaError> {
        let old = self
            .keys
            .as_ref()
            .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                "no keys",
            )))?;
        let skeyseed = skeyseed_rekey(old.prf, old.sk_d.expose(), g_ir, &ni, &nr);
        let mut new = IkeSa::blank(
            self.conn.clone(),
            we_initiated,
            spi_i,
            spi_r,
            self.local,
            self.remote,
            Phase::Established,
            now,
        );
        new.ni = ni;
        new.nr = nr;
        new.peer_id = self.peer_id.clone();
        new.nat_detected = self.nat_detected;
        new.peer_hashes = self.peer_hashes.clone();
        new.children = std::mem::take(&mut self.children);
        new.established_at = Some(now);
        new.rekey_at = (!self.conn.rekey_time.is_zero()).then(|| now + self.conn.rekey_time);
        // The ticket describes the old SA (RFC 5723 §6.2 ties it to that SA): the client keeps
        // it only until a fresh one for the new SA arrives, and asks for that right away.
        new.ticket = self.ticket.take();
        new.ticket_renew_at =
            (!self.gateway && self.conn.resumption.request_tickets).then_some(now);
        new.resumed = self.resumed;
        new.peer_auth_method = self.peer_auth_method;
        new.gateway = self.gateway;
        install_keys(&mut new, suite, skeyseed.expose(), export)?;
        tracing::info!(
            conn = %self.conn.name, old_spi_i = %crate::sa::hex8(&self.spi_i), spi_i = %crate::sa::hex8(&new.spi_i),
            spi_r = %crate::sa::hex8(&new.spi_r), "IKE SA rekeyed"
        );
        Ok(new)
    }

    /// Process the response to our CREATE_CHILD_SA request.
    pub(crate) fn process_create_response(&mut self, ctx: &mut Ctx<'_>, payloads: &[Payload]) {
        let Some(pc) = self.pending_create.take() else {
            return;
        };
        if let Some(err) = first_error(payloads) {
            tracing::warn!(conn = %self.conn.name, ?err, kind = ?pc.kind, "CREATE_CHILD_SA refused by peer");
            if err == NotifyType::TemporaryFailure || err == NotifyType::NoAdditionalSas {
                if let CreateKind::RekeyChild { old } = pc.kind {
                    if let Some(c) = self.children.iter_mut().find(|c| c.spi_in == old) {
                        c.rekey_at = Some(ctx.now + std::time::Duration::from_secs(10));
                    }
                }
                if matches!(pc.kind, CreateKind::RekeyIke { .. }) {
                    self.rekey_at = Some(ctx.now + std::time::Duration::from_secs(10));
                }
            }
            return;
        }
        let result = match pc.kind {
            CreateKind::RekeyIke { new_spi } => {
                self.complete_ike_rekey(ctx, payloads, &pc, new_spi)
            }
            _ => self.complete_child(ctx, payloads, &pc),
        };
        if let Err(e) = result {
            tracing::warn!(conn = %self.conn.name, error = %e, "CREATE_CHILD_SA response unusable");
        }
    }

    fn complete_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        payloads: &[Payload],
        pc: &PendingCreate,
    ) -> Result<(), SaError> {
        let bad = |w| SaError::Protocol(PeerMisbehaved::InvalidSyntax(w));
        let resp = child_request(payloads).ok_or(bad("CREATE_CHILD_SA response lacks SA/TS"))?;
        let nr = nonce_of(payloads).ok_or(bad("no nonce"))?.to_vec();
        let (tmpl, old) = match pc.kind {
            CreateKind::Child { tmpl } => (tmpl, None),
            CreateKind::RekeyChild { old } => {
                let name = self
                    .children
                    .iter()
                    .find(|c| c.spi_in == old)
                    .map(|c| c.name.clone())
                    .ok_or(bad("rekeyed child vanished"))?;
                (
                    self.template_index(&name).ok_or(bad("template gone"))?,
                    Some(old),
                )
            }
            CreateKind::RekeyIke { .. } => unreachable!("handled by complete_ike_rekey"),
        };
        let t = self.conn.children[tmpl].clone();
        let pfs = pc.ke.as_ref().map(|k| k.alg());
        let chosen = (resp.sa.proposals.len() == 1)
            .then(|| proposal::select_esp(resp.sa, &t.esp_proposals, Some(pfs)))
            .flatten()
            .ok_or(SaError::Protocol(PeerMisbehaved::NoProposalChosen))?;
        let g_ir = match (&pc.ke, ke_of(payloads)) {
            (Some(ours), Some(k)) => Some(
                ours.compute_shared(&k.data)
                    .map_err(|_| SaError::Protocol(PeerMisbehaved::InvalidKeData))?,
            ),
            (None, None) => None,
            _ => return Err(bad("KE mismatch")),
        };
        let mode = if resp.transport && t.mode == ChildMode::Transport {
            ChildMode::Transport
        } else {
            ChildMode::Tunnel
        };
        let child = ChildSa::new(&t, pc.spi_in, &chosen, mode, resp.tsi, resp.tsr, ctx.now);
        let ev = child_keys_event(
            self,
            &child,
            &chosen,
            Some((&pc.nonce, &nr, g_ir.as_ref().map(|g| g.expose()))),
            true,
        );
        self.children.push(child);
        ctx.events.extend(ev);
        if let Some(old) = old {
            // §2.8.1: on a collision the exchange holding the lowest nonce is redundant; its
            // initiator deletes the SA it created. Otherwise we delete the SA we rekeyed.
            if let Some((their_ni, our_nr, their_new_in)) = &pc.collided {
                if lowest_nonce_is_in((&pc.nonce, &nr), (their_ni, our_nr)) {
                    tracing::info!(conn = %self.conn.name, "rekey collision lost; deleting our redundant Child SA");
                    self.queue.push_back(RequestKind::DeleteChild(pc.spi_in));
                } else {
                    tracing::info!(conn = %self.conn.name, "rekey collision won");
                    let _ = their_new_in;
                    self.queue.push_back(RequestKind::DeleteChild(old));
                }
            } else {
                self.queue.push_back(RequestKind::DeleteChild(old));
            }
        }
        Ok(())
    }

    fn complete_ike_rekey(
        &mut self,
        ctx: &mut Ctx<'_>,
        payloads: &[Payload],
        pc: &PendingCreate,
        new_spi: [u8; 8],
    ) -> Result<(), SaError> {
        let bad = |w| SaError::Protocol(PeerMisbehaved::InvalidSyntax(w));
        let sa_p = payloads
            .iter()
            .find_map(|p| match p {
                Payload::Sa(s) => Some(s),
                _ => None,
            })
            .ok_or(bad("no SA"))?;
        let suite = proposal::accept_ike_response(sa_p, &self.conn.ike_proposals)
            .ok_or(SaError::Protocol(PeerMisbehaved::NoProposalChosen))?;
        let peer_spi: [u8; 8] = sa_p.proposals[0]
            .spi
            .as_slice()
            .try_into()
            .map_err(|_| bad("SPI size"))?;
        let nr = nonce_of(payloads).ok_or(bad("no nonce"))?.to_vec();
        let ke = pc.ke.as_ref().ok_or(bad("no KE"))?;
        let peer_ke = ke_of(payloads).ok_or(bad("no KE"))?;
        if suite.dh != ke.alg() {
            return Err(SaError::Protocol(PeerMisbehaved::InvalidKeData));
        }
        let shared = ke
            .compute_shared(&peer_ke.data)
            .map_err(|_| SaError::Protocol(PeerMisbehaved::InvalidKeData))?;
        let new = self.rekeyed_sa(
            ctx.now,
            ctx.cfg.export_keys,
            true,
            new_spi,
            peer_spi,
            pc.nonce.clone(),
            nr,
            suite,
            shared.expose(),
        )?;
        let mut new = new;
        if !self.gateway && self.conn.resumption.request_tickets {
            new.ticket = None;
            new.ticket_renew_at = None;
            super::ticket::absorb(&mut new, ctx, payloads);
            if new.ticket.is_none() && new.ticket_renew_at.is_none() {
                // No ticket came with the rekey: ask for one on the new SA.
                new.queue.push_back(RequestKind::TicketRequest);
            }
        }
        ctx.events.push_back(crate::Event::IkeRekeyed {
            connection: self.conn.name.clone(),
            old_local_spi: self.local_spi(),
            new_local_spi: new.local_spi(),
        });
        ctx.spawned.push(new);
        self.superseded = true;
        // We initiated: delete the old SA (its Child SAs now belong to the new one).
        self.queue.clear();
        self.queue.push_back(RequestKind::DeleteIke);
        Ok(())
    }
}
