//! IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH with PSK or signatures, certificates and
//! the first Child SA, for both roles.

use std::sync::Arc;

use ike_crypto::cert::{Certificate, TrustAnchors};
use ike_crypto::sig::{HashAlgorithm, SignatureScheme, sign_auth, verify_auth};
use ike_crypto::{psk_auth, signed_octets, verify_psk_auth};
use ike_wire::{
    AuthMethod, AuthPayload, CertEncoding, CertPayload, CertReqPayload, ExchangeType, IdPayload,
    NotifyType, Payload,
};

use super::{child, first_error, status};
use crate::config::{AuthConfig, ConnectionConfig, Identity};
use crate::error::{PeerMisbehaved, SaError};
use crate::event::Event;
use crate::sa::{Ctx, IkeSa, Phase, RequestKind};

/// CERTREQ naming our trusted CAs by the SHA-1 of their public key (RFC 7296 §3.7).
pub(crate) fn certreq(conn: &ConnectionConfig) -> Option<Payload> {
    let AuthConfig::PubKey(pk) = &conn.remote_auth else {
        return None;
    };
    let mut data = Vec::with_capacity(20 * pk.cas.len());
    for ca in &pk.cas {
        data.extend_from_slice(&ike_crypto::hash::sha1(&[ca.spki_der()]));
    }
    Some(Payload::CertReq(CertReqPayload {
        encoding: CertEncoding::X509Signature,
        data,
    }))
}

/// Hash algorithms we announce, and therefore accept in RFC 7427 signatures.
pub(crate) const OUR_HASHES: [HashAlgorithm; 3] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
];

fn id_payload(id: &Identity) -> IdPayload {
    IdPayload {
        id_type: id.id_type,
        data: id.data.clone(),
    }
}

/// AUTH payload and certificate payloads proving our identity over `octets`.
fn our_auth(sa: &IkeSa, octets: &[u8]) -> Result<(Vec<Payload>, AuthPayload), SaError> {
    if sa.resumed {
        // RFC 5723 §4.3.3: AUTH = prf(SK_px, <signed octets>), method 2, no certificates.
        let keys = sa
            .keys
            .as_ref()
            .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                "no keys",
            )))?;
        let sk_p = if sa.initiator {
            &keys.sk_pi
        } else {
            &keys.sk_pr
        };
        let data = ike_crypto::resumed_auth(keys.prf, sk_p.expose(), octets)
            .expose()
            .to_vec();
        return Ok((
            Vec::new(),
            AuthPayload {
                method: AuthMethod::SharedKeyMic,
                data,
            },
        ));
    }
    let prf = sa.suite.as_ref().map(|s| s.prf).ok_or(SaError::Crypto(
        ike_crypto::CryptoError::Malformed("no suite"),
    ))?;
    match &sa.conn.local_auth {
        AuthConfig::Psk(psk) => Ok((
            Vec::new(),
            AuthPayload {
                method: AuthMethod::SharedKeyMic,
                data: psk_auth(prf, psk.expose(), octets).expose().to_vec(),
            },
        )),
        AuthConfig::PubKey(pk) => {
            let key =
                pk.key
                    .as_ref()
                    .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                        "no private key",
                    )))?;
            let certs = pk
                .certs
                .iter()
                .map(|c| {
                    Payload::Cert(CertPayload {
                        encoding: CertEncoding::X509Signature,
                        data: c.der().to_vec(),
                    })
                })
                .collect();
            let (method, scheme) = match &sa.peer_hashes {
                Some(h) => (AuthMethod::DigitalSignature, key.preferred_scheme(h)),
                None => match key.kind() {
                    ike_crypto::sig::KeyKind::EcdsaP256 => (
                        AuthMethod::EcdsaSha256P256,
                        Some(SignatureScheme::EcdsaP256Sha256),
                    ),
                    ike_crypto::sig::KeyKind::EcdsaP384 => (
                        AuthMethod::EcdsaSha384P384,
                        Some(SignatureScheme::EcdsaP384Sha384),
                    ),
                    ike_crypto::sig::KeyKind::Rsa => {
                        (AuthMethod::RsaSig, Some(SignatureScheme::RsaPkcs1Sha256))
                    }
                    // Ed25519 exists only under RFC 7427.
                    ike_crypto::sig::KeyKind::Ed25519 => {
                        (AuthMethod::DigitalSignature, Some(SignatureScheme::Ed25519))
                    }
                    _ => (
                        AuthMethod::DigitalSignature,
                        key.preferred_scheme(&OUR_HASHES),
                    ),
                },
            };
            let scheme = scheme.ok_or(SaError::Crypto(
                ike_crypto::CryptoError::UnsupportedAlgorithm,
            ))?;
            let data = sign_auth(key, method, scheme, octets)?;
            Ok((certs, AuthPayload { method, data }))
        }
    }
}

/// Verify the peer's AUTH over `octets` under `conn`'s remote auth settings.
fn verify_peer_auth(
    ctx: &Ctx<'_>,
    sa: &IkeSa,
    conn: &ConnectionConfig,
    id: &IdPayload,
    auth: &AuthPayload,
    certs: &[&CertPayload],
    octets: &[u8],
) -> Result<(), PeerMisbehaved> {
    let prf = sa
        .suite
        .as_ref()
        .map(|s| s.prf)
        .ok_or(PeerMisbehaved::AuthenticationFailed("no suite"))?;
    match &conn.remote_auth {
        AuthConfig::Psk(psk) => {
            if auth.method != AuthMethod::SharedKeyMic {
                return Err(PeerMisbehaved::AuthenticationFailed(
                    "peer used a method other than PSK",
                ));
            }
            if verify_psk_auth(prf, psk.expose(), octets, &auth.data) {
                Ok(())
            } else {
                Err(PeerMisbehaved::AuthenticationFailed("PSK AUTH mismatch"))
            }
        }
        AuthConfig::PubKey(pk) => {
            let mut chain = certs
                .iter()
                .filter(|c| c.encoding == CertEncoding::X509Signature)
                .map(|c| Certificate::from_der(c.data.clone()));
            let ee = chain
                .next()
                .ok_or(PeerMisbehaved::AuthenticationFailed("no certificate"))?
                .map_err(|_| PeerMisbehaved::AuthenticationFailed("bad certificate"))?;
            let intermediates: Vec<Certificate> = chain.filter_map(Result::ok).collect();
            let anchors = TrustAnchors::new(&pk.cas)
                .map_err(|_| PeerMisbehaved::AuthenticationFailed("bad CA"))?;
            anchors
                .verify_chain(&ee, &intermediates, ctx.unix)
                .map_err(|_| {
                    PeerMisbehaved::AuthenticationFailed("certificate chain not trusted")
                })?;
            if !ee.matches_id(id.id_type, &id.data) {
                return Err(PeerMisbehaved::AuthenticationFailed(
                    "certificate does not match the identity",
                ));
            }
            let mut allowed = SignatureScheme::for_hashes(&OUR_HASHES);
            allowed.extend([
                SignatureScheme::Ed25519,
                SignatureScheme::RsaPkcs1Sha1,
                SignatureScheme::EcdsaP256Sha256,
                SignatureScheme::EcdsaP384Sha384,
            ]);
            verify_auth(ee.spki_der(), auth.method, &auth.data, octets, &allowed)
                .map_err(|_| PeerMisbehaved::AuthenticationFailed("signature does not verify"))
        }
    }
}

fn id_matches(want: &Option<Identity>, got: &IdPayload) -> bool {
    match want {
        None => true,
        Some(w) => {
            w.id_type == got.id_type
                && if matches!(
                    w.id_type,
                    ike_wire::IdType::Fqdn | ike_wire::IdType::Rfc822Addr
                ) {
                    w.data.eq_ignore_ascii_case(&got.data)
                } else {
                    w.data == got.data
                }
        }
    }
}

fn auth_kind_matches(conn: &ConnectionConfig, method: AuthMethod) -> bool {
    match conn.remote_auth {
        AuthConfig::Psk(_) => method == AuthMethod::SharedKeyMic,
        AuthConfig::PubKey(_) => matches!(
            method,
            AuthMethod::RsaSig
                | AuthMethod::EcdsaSha256P256
                | AuthMethod::EcdsaSha384P384
                | AuthMethod::DigitalSignature
        ),
    }
}

fn suite_allowed(conn: &ConnectionConfig, s: &ike_crypto::IkeSuite) -> bool {
    conn.ike_proposals.iter().any(|p| {
        p.encr.contains(&s.encr)
            && p.prf.contains(&s.prf)
            && p.dh.contains(&s.dh)
            && s.integ.is_none_or(|i| p.integ.contains(&i))
    })
}

/// The parts of an IKE_AUTH message both roles look at.
struct AuthParts<'a> {
    id: &'a IdPayload,
    id_other: Option<&'a IdPayload>,
    auth: &'a AuthPayload,
    certs: Vec<&'a CertPayload>,
}

fn auth_parts(payloads: &[Payload], initiator_sent: bool) -> Result<AuthParts<'_>, PeerMisbehaved> {
    let (mut id, mut id_other, mut auth) = (None, None, None);
    let mut certs = Vec::new();
    for p in payloads {
        match (p, initiator_sent) {
            (Payload::IdI(i), true) | (Payload::IdR(i), false) => id = Some(i),
            (Payload::IdR(i), true) | (Payload::IdI(i), false) => id_other = Some(i),
            (Payload::Auth(a), _) => auth = Some(a),
            (Payload::Cert(c), _) => certs.push(c),
            _ => {}
        }
    }
    match (id, auth) {
        (Some(id), Some(auth)) => Ok(AuthParts {
            id,
            id_other,
            auth,
            certs,
        }),
        _ => Err(PeerMisbehaved::InvalidSyntax("IKE_AUTH lacks ID or AUTH")),
    }
}

impl IkeSa {
    /// Send the IKE_AUTH request (initiator), with the first Child SA.
    pub(crate) fn send_auth_request(&mut self, ctx: &mut Ctx<'_>) -> Result<(), SaError> {
        let idi = match &self.resume_check {
            Some(rc) => id_payload(&rc.id_i),
            None => id_payload(&self.conn.local_id),
        };
        let keys =
            self.keys
                .as_ref()
                .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                    "no keys",
                )))?;
        let octets = self.octets_i(keys, &idi.body());
        let (certs, auth) = our_auth(self, &octets)?;
        let mut p = vec![Payload::IdI(idi)];
        p.extend(certs);
        if !self.resumed {
            if let Some(req) = certreq(&self.conn) {
                p.push(req);
            }
        }
        if let Some(r) = self.expected_responder_id() {
            p.push(Payload::IdR(id_payload(&r)));
        }
        p.push(Payload::Auth(auth));
        if !self.resumed {
            // Not after a resume: INITIAL_CONTACT would make the gateway drop other SAs of
            // this identity, and the old SA is handled by the ticket (RFC 5723 §4.3.4).
            p.push(status(NotifyType::InitialContact));
        }
        if self.conn.resumption.request_tickets {
            p.push(status(NotifyType::TicketRequest));
        }
        if !self.conn.children.is_empty() {
            let spi = child::random_child_spi(ctx);
            self.pending_child = Some((0, spi));
            p.extend(child::initiator_payloads(self, &self.conn.children[0], spi));
        }
        self.send_request(ctx, ExchangeType::IkeAuth, RequestKind::Auth, &p)
    }

    /// Process an IKE_AUTH request (responder).
    pub(crate) fn process_auth_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        bytes: &[u8],
        payloads: &[Payload],
    ) {
        if let Some(Payload::Auth(a)) = payloads.iter().find(|p| matches!(p, Payload::Auth(_))) {
            self.peer_auth_method = u8::from(a.method);
        }
        let result = match self.resume_check.clone() {
            Some(rc) => self
                .authenticate_resumed(ctx, payloads, &rc)
                .map(|id| (self.conn.clone(), id)),
            None => self.authenticate_initiator(ctx, payloads),
        };
        let conn = match result {
            Ok((conn, id)) => {
                self.peer_id = Some(id);
                conn
            }
            Err(e) => {
                tracing::warn!(spi_i = %crate::sa::hex8(&self.spi_i), remote = %self.remote, error = %e, "IKE_AUTH from peer rejected");
                // RFC 7296 §2.21.2: AUTHENTICATION_FAILED in the (protected) response; the SA is gone.
                let _ = self.send_response(
                    ctx,
                    ExchangeType::IkeAuth,
                    mid,
                    bytes,
                    &[status(e.notify())],
                );
                return self.close(ctx, SaError::Protocol(e));
            }
        };
        self.conn = conn;
        let keys = match self.keys.as_ref() {
            Some(k) => k,
            None => return,
        };
        let idr = id_payload(&self.conn.local_id);
        let octets = self.octets_r(keys, &idr.body());
        let (certs, auth) = match our_auth(self, &octets) {
            Ok(a) => a,
            Err(e) => return self.close(ctx, e),
        };
        let mut resp = vec![Payload::IdR(idr)];
        resp.extend(certs);
        resp.push(Payload::Auth(auth));
        if let Some(rc) = self.resume_check.take() {
            // The ticket is now used (RFC 5723 §4.3.1, #12); an old SA of the same session
            // that is still alive goes away silently (§4.3.4, #24).
            if !ctx
                .tickets
                .used
                .insert(rc.ticket_id, rc.expires_at, ctx.unix)
            {
                tracing::warn!(conn = %self.conn.name, "used-ticket log full; refusing the resume");
                let fail = [status(NotifyType::AuthenticationFailed)];
                let _ = self.send_response(ctx, ExchangeType::IkeAuth, mid, bytes, &fail);
                return self.close(ctx, SaError::Protocol(PeerMisbehaved::TicketRefused));
            }
            ctx.actions.push(crate::sa::Action::DeleteSilently {
                spi_i: rc.old_spis.0,
                spi_r: rc.old_spis.1,
            });
        }
        if super::find_notify(payloads, NotifyType::TicketRequest).is_some() {
            resp.push(super::ticket::answer_ticket_request(self, ctx));
        }
        let child_up = child::respond_in_auth(self, ctx, payloads, &mut resp);
        if let Err(e) = self.send_response(ctx, ExchangeType::IkeAuth, mid, bytes, &resp) {
            return self.close(ctx, e);
        }
        self.establish(ctx);
        if super::find_notify(payloads, NotifyType::InitialContact).is_some() {
            ctx.actions.push(crate::sa::Action::InitialContact {
                keep: self.local_spi(),
            });
        }
        if let Some(ev) = child_up {
            ctx.events.push_back(ev);
        }
    }

    fn authenticate_initiator(
        &self,
        ctx: &Ctx<'_>,
        payloads: &[Payload],
    ) -> Result<(Arc<ConnectionConfig>, Identity), PeerMisbehaved> {
        let parts = auth_parts(payloads, true)?;
        let suite = self
            .suite
            .as_ref()
            .ok_or(PeerMisbehaved::AuthenticationFailed("no suite"))?;
        let keys = self
            .keys
            .as_ref()
            .ok_or(PeerMisbehaved::AuthenticationFailed("no keys"))?;
        let octets = self.octets_i(keys, &parts.id.body());
        let mut last_err = PeerMisbehaved::AuthenticationFailed("no matching connection");
        for conn in ctx
            .conns
            .iter()
            .filter(|c| crate::endpoint::accepts(c, self.local, self.remote))
        {
            if !id_matches(&conn.remote_id, parts.id)
                || parts
                    .id_other
                    .is_some_and(|r| !id_matches(&Some(conn.local_id.clone()), r))
                || !auth_kind_matches(conn, parts.auth.method)
                || !suite_allowed(conn, suite)
            {
                continue;
            }
            match verify_peer_auth(ctx, self, conn, parts.id, parts.auth, &parts.certs, &octets) {
                Ok(()) => {
                    let id = Identity {
                        id_type: parts.id.id_type,
                        data: parts.id.data.clone(),
                    };
                    return Ok((conn.clone(), id));
                }
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    /// Process the IKE_AUTH response (initiator).
    pub(crate) fn process_auth_response(&mut self, ctx: &mut Ctx<'_>, payloads: &[Payload]) {
        if let Err(e) = self.authenticate_responder(ctx, payloads) {
            tracing::warn!(conn = %self.conn.name, error = %e, "IKE_AUTH failed");
            if self.resumed && !self.gateway {
                // A failed resume falls back to a full handshake (RFC 5723 §4.3.1, DESIGN).
                return self.fall_back(ctx, &format!("the resumed IKE_AUTH failed: {e}"));
            }
            return self.close(ctx, e);
        }
        self.establish(ctx);
        if self.conn.resumption.request_tickets {
            super::ticket::absorb(self, ctx, payloads);
        }
        if let Some(ev) = child::accept_in_auth(self, ctx, payloads) {
            ctx.events.push_back(ev);
        }
    }

    fn authenticate_responder(
        &mut self,
        ctx: &Ctx<'_>,
        payloads: &[Payload],
    ) -> Result<(), SaError> {
        // An error notify without AUTH means the IKE SA failed (§2.21.2); with AUTH present, an
        // error only concerns the Child SA and is handled there.
        let has_auth = payloads.iter().any(|p| matches!(p, Payload::Auth(_)));
        if !has_auth {
            return Err(match first_error(payloads) {
                Some(t) => SaError::PeerError(t),
                None => SaError::Protocol(PeerMisbehaved::InvalidSyntax(
                    "IKE_AUTH response lacks AUTH",
                )),
            });
        }
        let parts = auth_parts(payloads, false)?;
        if self.resumed {
            return self.verify_resumed_responder(&parts);
        }
        if !id_matches(&self.conn.remote_id, parts.id) {
            return Err(SaError::Protocol(PeerMisbehaved::AuthenticationFailed(
                "unexpected responder identity",
            )));
        }
        let keys =
            self.keys
                .as_ref()
                .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                    "no keys",
                )))?;
        let octets = self.octets_r(keys, &parts.id.body());
        verify_peer_auth(
            ctx,
            self,
            &self.conn,
            parts.id,
            parts.auth,
            &parts.certs,
            &octets,
        )?;
        self.peer_id = Some(Identity {
            id_type: parts.id.id_type,
            data: parts.id.data.clone(),
        });
        Ok(())
    }

    /// What the initiator's AUTH covers (RFC 7296 §2.15 signed octets). On a resumed SA with
    /// the libreswan compatibility form, only the IKE_SESSION_RESUME request (what libreswan 5.2
    /// MACs); otherwise the RFC form.
    fn octets_i(&self, keys: &crate::sa::SaKeys, id_body: &[u8]) -> Vec<u8> {
        if self.resumed
            && self.conn.resumption.auth_form == crate::config::ResumeAuthForm::Libreswan
        {
            return self.init_request.clone();
        }
        signed_octets(
            keys.prf,
            &self.init_request,
            &self.nr,
            keys.sk_pi.expose(),
            id_body,
        )
    }

    /// What the responder's AUTH covers; see [`IkeSa::octets_i`].
    fn octets_r(&self, keys: &crate::sa::SaKeys, id_body: &[u8]) -> Vec<u8> {
        if self.resumed
            && self.conn.resumption.auth_form == crate::config::ResumeAuthForm::Libreswan
        {
            return self.init_response.clone();
        }
        signed_octets(
            keys.prf,
            &self.init_response,
            &self.ni,
            keys.sk_pr.expose(),
            id_body,
        )
    }

    /// The IDr we put in our IKE_AUTH request: the ticket's on a resume, else the configured one.
    fn expected_responder_id(&self) -> Option<Identity> {
        match &self.resume_check {
            Some(rc) => Some(rc.id_r.clone()),
            None => self.conn.remote_id.clone(),
        }
    }

    /// Gateway: the resumed IKE_AUTH (RFC 5723 §4.3.3): IDs equal to the ticket's, no CERT,
    /// AUTH = prf(SK_pi, signed octets) with method 2.
    fn authenticate_resumed(
        &self,
        _ctx: &Ctx<'_>,
        payloads: &[Payload],
        rc: &crate::sa::ResumeCheck,
    ) -> Result<Identity, PeerMisbehaved> {
        let parts = auth_parts(payloads, true)?;
        if !parts.certs.is_empty() {
            return Err(PeerMisbehaved::AuthenticationFailed(
                "CERT in a resumed IKE_AUTH",
            ));
        }
        if parts.id.id_type != rc.id_i.id_type || parts.id.data != rc.id_i.data {
            return Err(PeerMisbehaved::AuthenticationFailed(
                "IDi differs from the ticket",
            ));
        }
        if parts
            .id_other
            .is_some_and(|r| r.id_type != rc.id_r.id_type || r.data != rc.id_r.data)
        {
            return Err(PeerMisbehaved::AuthenticationFailed(
                "IDr differs from the ticket",
            ));
        }
        if parts.auth.method != AuthMethod::SharedKeyMic {
            return Err(PeerMisbehaved::AuthenticationFailed(
                "resumed AUTH must use method 2",
            ));
        }
        let keys = self
            .keys
            .as_ref()
            .ok_or(PeerMisbehaved::AuthenticationFailed("no keys"))?;
        let octets = self.octets_i(keys, &parts.id.body());
        if !ike_crypto::verify_resumed_auth(
            keys.prf,
            keys.sk_pi.expose(),
            &octets,
            &parts.auth.data,
        ) {
            return Err(PeerMisbehaved::AuthenticationFailed(
                "resumed AUTH mismatch",
            ));
        }
        Ok(rc.id_i.clone())
    }

    /// Client: check the gateway's resumed AUTH and identity.
    fn verify_resumed_responder(&mut self, parts: &AuthParts<'_>) -> Result<(), SaError> {
        let fail = |w| SaError::Protocol(PeerMisbehaved::AuthenticationFailed(w));
        let want = self
            .expected_responder_id()
            .ok_or(fail("no expected IDr"))?;
        if parts.id.id_type != want.id_type || parts.id.data != want.data {
            return Err(fail("IDr differs from the ticket"));
        }
        if parts.auth.method != AuthMethod::SharedKeyMic || !parts.certs.is_empty() {
            return Err(fail("resumed AUTH must be method 2 without certificates"));
        }
        let keys = self.keys.as_ref().ok_or(fail("no keys"))?;
        let octets = self.octets_r(keys, &parts.id.body());
        if !ike_crypto::verify_resumed_auth(
            keys.prf,
            keys.sk_pr.expose(),
            &octets,
            &parts.auth.data,
        ) {
            return Err(fail("resumed AUTH mismatch"));
        }
        self.peer_id = Some(want);
        self.resume_check = None;
        Ok(())
    }

    /// Mark the SA established and drop handshake-only state.
    fn establish(&mut self, ctx: &mut Ctx<'_>) {
        self.phase = Phase::Established;
        self.established_at = Some(ctx.now);
        if !self.conn.rekey_time.is_zero() {
            self.rekey_at = Some(ctx.now + self.conn.rekey_time);
        }
        self.last_inbound = ctx.now;
        tracing::info!(
            conn = %self.conn.name, spi_i = %crate::sa::hex8(&self.spi_i), spi_r = %crate::sa::hex8(&self.spi_r),
            remote = %self.remote, "IKE SA established"
        );
        ctx.events.push_back(Event::Established {
            connection: self.conn.name.clone(),
            local_spi: self.local_spi(),
        });
    }
}
