//! IKE_SA_INIT (RFC 7296 §1.2): proposal and KE negotiation, nonces, NAT detection, cookies and
//! INVALID_KE_PAYLOAD retries, for both roles.

use std::net::SocketAddr;
use std::sync::Arc;

use ike_crypto::hash::nat_detection_hash;
use ike_crypto::sk::SkKeys;
use ike_crypto::{DhAlg, IkeSuite, KeyExchange, derive_ike_keys, skeyseed_fresh};
use ike_wire::{
    DhGroup, ExchangeType, KePayload, Message, NoncePayload, NotifyPayload, NotifyType, Payload,
    SaPayload,
};
use rand_core::RngCore;

use super::{find_notify, first_error};
use crate::config::{AuthConfig, ConnectionConfig};
use crate::error::{CommandError, PeerMisbehaved, SaError};
use crate::proposal;
use crate::sa::{Ctx, IkeSa, Phase, RequestKind, SaKeys, window::Window};
use crate::transmit::Transmit;

/// Nonce length we send: 32 octets, at least half of every PRF key size we support (§2.10).
pub(crate) const NONCE_LEN: usize = 32;
/// INVALID_KE_PAYLOAD retries before giving up (guards against a peer bouncing us around).
const MAX_KE_RETRIES: u8 = 2;

pub(crate) fn random_spi(ctx: &mut Ctx<'_>) -> [u8; 8] {
    loop {
        let mut s = [0u8; 8];
        ctx.rng.fill_bytes(&mut s);
        if let Some(shard) = ctx.cfg.shard {
            // Our SPIs name our shard, so a sharded driver routes every later message of the
            // SA here without shared state (see `crate::route`).
            s[0] = shard.tag(s[0]);
        }
        if s != [0; 8] {
            return s;
        }
    }
}

pub(crate) fn random_nonce(ctx: &mut Ctx<'_>) -> Vec<u8> {
    let mut n = vec![0u8; NONCE_LEN];
    ctx.rng.fill_bytes(&mut n);
    n
}

/// NAT_DETECTION_SOURCE_IP and _DESTINATION_IP for a message from `local` to `remote`.
pub(crate) fn nat_notifies(
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    local: SocketAddr,
    remote: SocketAddr,
) -> [Payload; 2] {
    [
        Payload::Notify(NotifyPayload::new(
            NotifyType::NatDetectionSourceIp,
            nat_detection_hash(spi_i, spi_r, local).to_vec(),
        )),
        Payload::Notify(NotifyPayload::new(
            NotifyType::NatDetectionDestinationIp,
            nat_detection_hash(spi_i, spi_r, remote).to_vec(),
        )),
    ]
}

/// Compare the peer's NAT-D notifies with what we see; true when a NAT sits in between.
/// A peer that sends none does not do NAT-T; we then assume no NAT.
pub(crate) fn nat_between(
    payloads: &[Payload],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    local: SocketAddr,
    remote: SocketAddr,
) -> bool {
    let mut src_seen = false;
    let mut src_match = false;
    let mut dst_match = None;
    let want_src = nat_detection_hash(spi_i, spi_r, remote);
    let want_dst = nat_detection_hash(spi_i, spi_r, local);
    for n in super::notifies(payloads) {
        match n.notify_type {
            NotifyType::NatDetectionSourceIp => {
                src_seen = true;
                src_match |= n.data == want_src;
            }
            NotifyType::NatDetectionDestinationIp => dst_match = Some(n.data == want_dst),
            _ => {}
        }
    }
    (src_seen && !src_match) || dst_match == Some(false)
}

fn peer_hashes(payloads: &[Payload]) -> Option<Vec<ike_crypto::sig::HashAlgorithm>> {
    let n = find_notify(payloads, NotifyType::SignatureHashAlgorithms)?;
    ike_crypto::sig::HashAlgorithm::decode_notify_data(&n.data).ok()
}

/// RFC 7383 §2.3: fragmentation is used only when both sides announced it.
pub(crate) fn fragmentation_agreed(conn: &ConnectionConfig, payloads: &[Payload]) -> bool {
    conn.fragmentation && find_notify(payloads, NotifyType::Ikev2FragmentationSupported).is_some()
}

fn uses_certs(conn: &ConnectionConfig) -> bool {
    matches!(conn.local_auth, AuthConfig::PubKey(_))
        || matches!(conn.remote_auth, AuthConfig::PubKey(_))
}

/// SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4): SHA2-256, -384, -512, and Identity (5) for Ed25519.
fn signature_hash_notify() -> Payload {
    Payload::Notify(NotifyPayload::new(
        NotifyType::SignatureHashAlgorithms,
        vec![0, 2, 0, 3, 0, 4, 0, 5],
    ))
}

/// Derive the SA keys from the DH result; `ours_out` picks the direction.
pub(crate) fn install_keys(
    sa: &mut IkeSa,
    suite: IkeSuite,
    skeyseed: &[u8],
    export: bool,
) -> Result<(), ike_crypto::CryptoError> {
    let k = derive_ike_keys(&suite, skeyseed, &sa.ni, &sa.nr, &sa.spi_i, &sa.spi_r)?;
    if export {
        sa.key_export = Some(crate::event::IkeKeyExport {
            spi_i: sa.spi_i,
            spi_r: sa.spi_r,
            encr: suite.encr,
            integ: suite.integ,
            sk_ei: k.sk_ei.duplicate(),
            sk_er: k.sk_er.duplicate(),
            sk_ai: k.sk_ai.duplicate(),
            sk_ar: k.sk_ar.duplicate(),
        });
    }
    let (out, inb) = if sa.initiator {
        (
            SkKeys::new(suite.encr, suite.integ, k.sk_ei.expose(), k.sk_ai.expose())?,
            SkKeys::new(suite.encr, suite.integ, k.sk_er.expose(), k.sk_ar.expose())?,
        )
    } else {
        (
            SkKeys::new(suite.encr, suite.integ, k.sk_er.expose(), k.sk_ar.expose())?,
            SkKeys::new(suite.encr, suite.integ, k.sk_ei.expose(), k.sk_ai.expose())?,
        )
    };
    sa.keys = Some(SaKeys {
        prf: suite.prf,
        sk_d: k.sk_d,
        sk_pi: k.sk_pi,
        sk_pr: k.sk_pr,
        out,
        inb,
    });
    sa.suite = Some(suite);
    Ok(())
}

impl IkeSa {
    /// Start an IKE SA as initiator and send IKE_SA_INIT.
    pub(crate) fn new_initiator(
        ctx: &mut Ctx<'_>,
        conn: Arc<ConnectionConfig>,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<IkeSa, CommandError> {
        let dh = IkeSa::first_dh(&conn)
            .ok_or_else(|| CommandError::UnknownConnection(conn.name.clone()))?;
        let ke = KeyExchange::generate(dh, ctx.rng)?;
        let spi_i = random_spi(ctx);
        let ni = random_nonce(ctx);
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
        sa.ni = ni;
        let req = sa.init_request_bytes(&ke, None);
        sa.window
            .sent(RequestKind::Init, vec![req.clone()], ctx.now, ctx.cfg);
        ctx.out.push_back(Transmit::ike(sa.local, sa.remote, &req));
        sa.init_request = req;
        sa.phase = Phase::InitSent {
            cookie: None,
            ke,
            ke_retries: 0,
        };
        tracing::info!(conn = %sa.conn.name, spi_i = %crate::sa::hex8(&sa.spi_i), %remote, "initiating IKE SA");
        Ok(sa)
    }

    fn init_request_bytes(&self, ke: &KeyExchange, cookie: Option<&[u8]>) -> Vec<u8> {
        let mut p = Vec::with_capacity(8);
        if let Some(c) = cookie {
            // RFC 7296 §2.6: the cookie goes first.
            p.push(Payload::Notify(NotifyPayload::new(
                NotifyType::Cookie,
                c.to_vec(),
            )));
        }
        p.push(Payload::Sa(proposal::ike_sa_payload(
            &self.conn.ike_proposals,
            &[],
        )));
        p.push(Payload::Ke(KePayload {
            group: ke.alg().to_wire(),
            data: ke.public_key().to_vec(),
        }));
        p.push(Payload::Nonce(NoncePayload {
            data: self.ni.clone(),
        }));
        p.extend(nat_notifies(&self.spi_i, &[0; 8], self.local, self.remote));
        if self.conn.fragmentation {
            p.push(crate::exchange::status(
                NotifyType::Ikev2FragmentationSupported,
            ));
        }
        // RFC 6023: we accept an IKE_AUTH without a Child SA, and may send one.
        p.push(crate::exchange::status(NotifyType::ChildlessIkev2Supported));
        if uses_certs(&self.conn) {
            p.push(signature_hash_notify());
        }
        self.plain_message(ExchangeType::IkeSaInit, 0, false, p)
    }

    /// Process the IKE_SA_INIT response (initiator).
    pub(crate) fn process_init_response(&mut self, ctx: &mut Ctx<'_>, msg: &Message, bytes: &[u8]) {
        // Take the phase out to move the KE value; every path below sets a new phase (or closes).
        let phase = std::mem::replace(&mut self.phase, Phase::AuthSent);
        let Phase::InitSent {
            cookie,
            ke,
            ke_retries,
        } = phase
        else {
            self.phase = phase;
            return;
        };
        let payloads = &msg.payloads;
        if let Some(c) = find_notify(payloads, NotifyType::Cookie) {
            let repeated = cookie.as_deref() == Some(&c.data[..]);
            if repeated || c.data.is_empty() || c.data.len() > 64 {
                // Same cookie again, or an invalid one: ignore; the retransmit timer decides.
                self.phase = Phase::InitSent {
                    cookie,
                    ke,
                    ke_retries,
                };
                return;
            }
            tracing::debug!(conn = %self.conn.name, "COOKIE challenge; retrying IKE_SA_INIT");
            let cookie = Some(c.data.clone());
            let req = self.init_request_bytes(&ke, cookie.as_deref());
            return self.restart_init(ctx, req, ke, cookie, ke_retries);
        }
        if let Some(n) = find_notify(payloads, NotifyType::InvalidKePayload) {
            let group = n
                .data
                .get(..2)
                .map(|b| DhGroup::from(u16::from_be_bytes([b[0], b[1]])));
            let wanted = group.and_then(DhAlg::from_wire).filter(|g| {
                self.conn.ike_proposals.iter().any(|p| p.dh.contains(g)) && *g != ke.alg()
            });
            let Some(g) = wanted.filter(|_| ke_retries < MAX_KE_RETRIES) else {
                return self.close(ctx, SaError::PeerError(NotifyType::InvalidKePayload));
            };
            tracing::info!(conn = %self.conn.name, group = ?g, "peer wants another key exchange group; retrying");
            let new_ke = match KeyExchange::generate(g, ctx.rng) {
                Ok(k) => k,
                Err(e) => return self.close(ctx, SaError::Crypto(e)),
            };
            let req = self.init_request_bytes(&new_ke, cookie.as_deref());
            return self.restart_init(ctx, req, new_ke, cookie, ke_retries + 1);
        }
        if let Some(err) = first_error(payloads) {
            return self.close(ctx, SaError::PeerError(err));
        }
        if let Err(e) = self.complete_init_initiator(ctx, msg, bytes, &ke) {
            self.close(ctx, e);
        }
    }

    fn restart_init(
        &mut self,
        ctx: &mut Ctx<'_>,
        req: Vec<u8>,
        ke: KeyExchange,
        cookie: Option<Vec<u8>>,
        ke_retries: u8,
    ) {
        self.window.resend_same_mid(req.clone(), ctx.now, ctx.cfg);
        ctx.out
            .push_back(Transmit::ike(self.local, self.remote, &req));
        self.init_request = req;
        self.phase = Phase::InitSent {
            cookie,
            ke,
            ke_retries,
        };
    }

    fn complete_init_initiator(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message,
        bytes: &[u8],
        ke: &KeyExchange,
    ) -> Result<(), SaError> {
        let bad = |w| SaError::Protocol(PeerMisbehaved::InvalidSyntax(w));
        let mut sa_p = None;
        let mut ke_p = None;
        let mut nonce = None;
        for p in &msg.payloads {
            match p {
                Payload::Sa(s) => sa_p = Some(s),
                Payload::Ke(k) => ke_p = Some(k),
                Payload::Nonce(n) => nonce = Some(n),
                _ => {}
            }
        }
        let (Some(sa_p), Some(ke_p), Some(nonce)) = (sa_p, ke_p, nonce) else {
            return Err(bad("IKE_SA_INIT response lacks SA, KE or Nr"));
        };
        if msg.header.spi_r == [0; 8] {
            return Err(bad("zero responder SPI"));
        }
        if !(16..=256).contains(&nonce.data.len()) {
            return Err(bad("nonce length"));
        }
        let suite = proposal::accept_ike_response(sa_p, &self.conn.ike_proposals)
            .ok_or(SaError::Protocol(PeerMisbehaved::NoProposalChosen))?;
        if suite.dh != ke.alg() || ke_p.group != ke.alg().to_wire() {
            return Err(SaError::Protocol(PeerMisbehaved::InvalidKeData));
        }
        let shared = ke
            .compute_shared(&ke_p.data)
            .map_err(|_| SaError::Protocol(PeerMisbehaved::InvalidKeData))?;
        self.spi_r = msg.header.spi_r;
        self.nr = nonce.data.clone();
        self.init_response = bytes.to_vec();
        let skeyseed = skeyseed_fresh(suite.prf, &self.ni, &self.nr, shared.expose());
        install_keys(self, suite, skeyseed.expose(), ctx.cfg.export_keys)?;
        self.nat_detected = nat_between(
            &msg.payloads,
            &self.spi_i,
            &self.spi_r,
            self.local,
            self.remote,
        );
        self.peer_hashes = peer_hashes(&msg.payloads);
        self.fragmentation = fragmentation_agreed(&self.conn, &msg.payloads);
        if self.nat_detected {
            // RFC 7296 §2.23: after a NAT is detected the initiator moves to port 4500.
            self.local.set_port(ctx.cfg.natt_port);
            self.remote.set_port(ctx.cfg.remote_natt_port);
            tracing::info!(conn = %self.conn.name, "NAT detected; moving to NAT-T ports");
        }
        self.window.complete();
        self.window = Window::starting_at(1, 0);
        self.last_inbound = ctx.now;
        self.phase = Phase::AuthSent;
        self.send_auth_request(ctx)
    }

    /// Create a responder SA from an IKE_SA_INIT request and send the response. On refusal,
    /// returns the error notify to send unprotected.
    pub(crate) fn new_responder(
        ctx: &mut Ctx<'_>,
        conn: Arc<ConnectionConfig>,
        local: SocketAddr,
        remote: SocketAddr,
        msg: &Message,
        bytes: &[u8],
    ) -> Result<IkeSa, PeerMisbehaved> {
        let mut sa_p: Option<&SaPayload> = None;
        let mut ke_p = None;
        let mut nonce = None;
        for p in &msg.payloads {
            match p {
                Payload::Sa(s) => sa_p = Some(s),
                Payload::Ke(k) => ke_p = Some(k),
                Payload::Nonce(n) => nonce = Some(n),
                _ => {}
            }
        }
        let (Some(sa_p), Some(ke_p), Some(nonce)) = (sa_p, ke_p, nonce) else {
            return Err(PeerMisbehaved::InvalidSyntax(
                "IKE_SA_INIT request lacks SA, KE or Ni",
            ));
        };
        if !(16..=256).contains(&nonce.data.len()) {
            return Err(PeerMisbehaved::InvalidSyntax("nonce length"));
        }
        let ke_group = DhAlg::from_wire(ke_p.group);
        let chosen =
            match ke_group.and_then(|g| proposal::select_ike(sa_p, &conn.ike_proposals, Some(g))) {
                Some(c) => c,
                None => {
                    return Err(
                        match proposal::select_ike(sa_p, &conn.ike_proposals, None) {
                            Some(c) => PeerMisbehaved::InvalidKe(c.suite.dh.to_wire()),
                            None => PeerMisbehaved::NoProposalChosen,
                        },
                    );
                }
            };
        if ke_p.data.len() != chosen.suite.dh.public_len() {
            return Err(PeerMisbehaved::InvalidKeData);
        }
        let ke = KeyExchange::generate(chosen.suite.dh, ctx.rng)
            .map_err(|_| PeerMisbehaved::InvalidKeData)?;
        let shared = ke
            .compute_shared(&ke_p.data)
            .map_err(|_| PeerMisbehaved::InvalidKeData)?;
        let spi_r = random_spi(ctx);
        let nr = random_nonce(ctx);
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
        sa.ni = nonce.data.clone();
        sa.nr = nr;
        sa.init_request = bytes.to_vec();
        sa.window = Window::starting_at(0, 1);
        let skeyseed = skeyseed_fresh(chosen.suite.prf, &sa.ni, &sa.nr, shared.expose());
        install_keys(
            &mut sa,
            chosen.suite,
            skeyseed.expose(),
            ctx.cfg.export_keys,
        )
        .map_err(|_| PeerMisbehaved::InvalidKeData)?;
        sa.nat_detected = nat_between(&msg.payloads, &sa.spi_i, &[0; 8], local, remote);
        sa.peer_hashes = peer_hashes(&msg.payloads);
        sa.fragmentation = fragmentation_agreed(&sa.conn, &msg.payloads);
        let mut p = vec![
            Payload::Sa(SaPayload {
                proposals: vec![chosen.proposal],
            }),
            Payload::Ke(KePayload {
                group: ke.alg().to_wire(),
                data: ke.public_key().to_vec(),
            }),
            Payload::Nonce(NoncePayload {
                data: sa.nr.clone(),
            }),
        ];
        p.extend(nat_notifies(&sa.spi_i, &sa.spi_r, local, remote));
        if sa.fragmentation {
            p.push(crate::exchange::status(
                NotifyType::Ikev2FragmentationSupported,
            ));
        }
        if find_notify(&msg.payloads, NotifyType::ChildlessIkev2Supported).is_some() {
            p.push(crate::exchange::status(NotifyType::ChildlessIkev2Supported));
        }
        if uses_certs(&sa.conn) {
            if let Some(req) = crate::exchange::ike_auth::certreq(&sa.conn) {
                p.push(req);
            }
            if find_notify(&msg.payloads, NotifyType::SignatureHashAlgorithms).is_some() {
                p.push(signature_hash_notify());
            }
        }
        let resp = sa.plain_message(ExchangeType::IkeSaInit, 0, true, p);
        ctx.out.push_back(Transmit::ike(local, remote, &resp));
        sa.window.responded(0, bytes, vec![resp.clone()]);
        sa.init_response = resp;
        tracing::debug!(spi_i = %crate::sa::hex8(&sa.spi_i), spi_r = %crate::sa::hex8(&sa.spi_r), %remote, "IKE_SA_INIT answered");
        Ok(sa)
    }
}

/// The unprotected error response to an IKE_SA_INIT request we refuse (SPIr = 0, §1.3 / §2.6).
pub(crate) fn refusal(request: &Message, err: &PeerMisbehaved) -> Vec<u8> {
    let data = match err {
        PeerMisbehaved::InvalidKe(g) => u16::from(*g).to_be_bytes().to_vec(),
        _ => Vec::new(),
    };
    notify_response(request, NotifyPayload::new(err.notify(), data))
}

/// An unprotected response carrying one notify, echoing the request's SPIi, exchange and MID.
pub(crate) fn notify_response(request: &Message, n: NotifyPayload) -> Vec<u8> {
    let mut header = request.header.clone();
    header.spi_r = [0; 8];
    header.flags = ike_wire::Flags::new(false, true);
    header.next_payload = ike_wire::PayloadType::Notify;
    Message {
        header,
        payloads: vec![Payload::Notify(n)],
    }
    .emit()
}
