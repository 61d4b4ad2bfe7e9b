//! SA payload construction from configuration and proposal selection (RFC 7296 §2.7, §3.3).
//!
//! Selection honours the peer's proposal order and, inside a proposal, the peer's transform order
//! restricted to what we configured. A proposal is only chosen when every mandatory transform
//! type has an acceptable value and no transform type we do not understand is present.

use ike_crypto::{DhAlg, EncrAlg, IkeSuite, IntegAlg, PrfAlg};
use ike_wire::{
    DhGroup, EncrId, EsnId, IntegId, PrfId, Proposal, ProtocolId, SaPayload, Transform,
    TransformType,
};

use crate::config::{EspProposal, IkeProposal};

fn encr_transform(e: EncrAlg) -> Transform {
    match e.key_bits_attr() {
        Some(bits) => Transform::with_key_length(TransformType::Encr, u16::from(e.wire_id()), bits),
        None => Transform::new(TransformType::Encr, u16::from(e.wire_id())),
    }
}

/// Build the SA payload offering `proposals` for an IKE SA (`spi` empty in IKE_SA_INIT).
pub(crate) fn ike_sa_payload(proposals: &[IkeProposal], spi: &[u8]) -> SaPayload {
    let proposals = proposals
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut transforms: Vec<Transform> =
                p.encr.iter().map(|e| encr_transform(*e)).collect();
            transforms.extend(
                p.prf
                    .iter()
                    .map(|f| Transform::new(TransformType::Prf, u16::from(f.to_wire()))),
            );
            transforms.extend(
                p.integ
                    .iter()
                    .map(|a| Transform::new(TransformType::Integ, u16::from(a.to_wire()))),
            );
            transforms.extend(
                p.dh.iter()
                    .map(|g| Transform::new(TransformType::Dh, u16::from(g.to_wire()))),
            );
            Proposal {
                number: (i + 1) as u8,
                protocol: ProtocolId::Ike,
                spi: spi.to_vec(),
                transforms,
            }
        })
        .collect();
    SaPayload { proposals }
}

/// Build the SA payload offering ESP `proposals` with our inbound `spi`; `pfs` adds DH transforms.
pub(crate) fn esp_sa_payload(proposals: &[EspProposal], spi: u32, pfs: bool) -> SaPayload {
    let proposals = proposals
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut transforms: Vec<Transform> =
                p.encr.iter().map(|e| encr_transform(*e)).collect();
            transforms.extend(
                p.integ
                    .iter()
                    .map(|a| Transform::new(TransformType::Integ, u16::from(a.to_wire()))),
            );
            if pfs {
                transforms.extend(
                    p.dh.iter()
                        .map(|g| Transform::new(TransformType::Dh, u16::from(g.to_wire()))),
                );
            }
            transforms.push(Transform::new(TransformType::Esn, u16::from(EsnId::NoEsn)));
            Proposal {
                number: (i + 1) as u8,
                protocol: ProtocolId::Esp,
                spi: spi.to_be_bytes().to_vec(),
                transforms,
            }
        })
        .collect();
    SaPayload { proposals }
}

/// The outcome of choosing an IKE proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChosenIke {
    /// The negotiated suite.
    pub suite: IkeSuite,
    /// The proposal echoed in the response (one transform per type).
    pub proposal: Proposal,
}

fn transforms_of(p: &Proposal, t: TransformType) -> impl Iterator<Item = &Transform> {
    p.transforms.iter().filter(move |x| x.transform_type == t)
}

fn has_unknown_transform_type(p: &Proposal) -> bool {
    p.transforms
        .iter()
        .any(|t| matches!(t.transform_type, TransformType::Unknown(_)))
}

fn pick_encr(p: &Proposal, ours: &[EncrAlg]) -> Option<(EncrAlg, Transform)> {
    transforms_of(p, TransformType::Encr).find_map(|t| {
        // A transform with attributes we do not understand is unacceptable (RFC 7296 §3.3.6).
        if t.attributes
            .iter()
            .any(|a| !matches!(a, ike_wire::TransformAttribute::Tv { attr_type: 14, .. }))
        {
            return None;
        }
        let e = EncrAlg::from_wire(EncrId::from(t.transform_id), t.key_length())?;
        ours.contains(&e).then(|| (e, t.clone()))
    })
}

fn pick<A: Copy + PartialEq>(
    p: &Proposal,
    ty: TransformType,
    ours: &[A],
    conv: impl Fn(u16) -> Option<A>,
) -> Option<(A, Transform)> {
    transforms_of(p, ty).find_map(|t| {
        if !t.attributes.is_empty() {
            return None;
        }
        let a = conv(t.transform_id)?;
        ours.contains(&a).then(|| (a, t.clone()))
    })
}

fn ike_matches(peer: &Proposal, ours: &IkeProposal, ke_group: Option<DhAlg>) -> Option<ChosenIke> {
    if peer.protocol != ProtocolId::Ike || has_unknown_transform_type(peer) {
        return None;
    }
    let (encr, te) = pick_encr(peer, &ours.encr)?;
    let (prf, tp) = pick(peer, TransformType::Prf, &ours.prf, |id| {
        PrfAlg::from_wire(PrfId::from(id))
    })?;
    let dh_ok: Vec<DhAlg> = match ke_group {
        Some(g) => ours.dh.iter().copied().filter(|d| *d == g).collect(),
        None => ours.dh.clone(),
    };
    let (dh, td) = pick(peer, TransformType::Dh, &dh_ok, |id| {
        DhAlg::from_wire(DhGroup::from(id))
    })?;
    let mut transforms = vec![te, tp];
    let integ = if encr.is_aead() {
        // RFC 5282 §8: INTEG absent, or a single NONE, is acceptable with AEAD.
        if transforms_of(peer, TransformType::Integ)
            .any(|t| t.transform_id != u16::from(IntegId::None))
        {
            return None;
        }
        None
    } else {
        let (i, ti) = pick(peer, TransformType::Integ, &ours.integ, |id| {
            IntegAlg::from_wire(IntegId::from(id))
        })?;
        transforms.push(ti);
        Some(i)
    };
    transforms.push(td);
    Some(ChosenIke {
        suite: IkeSuite {
            encr,
            prf,
            integ,
            dh,
        },
        proposal: Proposal {
            number: peer.number,
            protocol: ProtocolId::Ike,
            spi: peer.spi.clone(),
            transforms,
        },
    })
}

/// Choose an IKE proposal from the peer's SA payload. With `ke_group`, only proposals using that
/// group qualify (the group of the KE payload the peer sent).
pub(crate) fn select_ike(
    peer: &SaPayload,
    ours: &[IkeProposal],
    ke_group: Option<DhAlg>,
) -> Option<ChosenIke> {
    peer.proposals
        .iter()
        .find_map(|p| ours.iter().find_map(|o| ike_matches(p, o, ke_group)))
}

/// Check that a responder's chosen IKE proposal is one we offered, and extract the suite.
pub(crate) fn accept_ike_response(resp: &SaPayload, ours: &[IkeProposal]) -> Option<IkeSuite> {
    let [p] = resp.proposals.as_slice() else {
        return None;
    };
    let counts = |t| transforms_of(p, t).count();
    if counts(TransformType::Encr) != 1
        || counts(TransformType::Prf) != 1
        || counts(TransformType::Dh) != 1
    {
        return None;
    }
    let chosen = select_ike(resp, ours, None)?;
    if chosen.suite.integ.is_some() && counts(TransformType::Integ) != 1 {
        return None;
    }
    Some(chosen.suite)
}

/// A negotiated ESP proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChosenEsp {
    /// Encryption.
    pub encr: EncrAlg,
    /// Integrity (None for AEAD).
    pub integ: Option<IntegAlg>,
    /// PFS group, if any.
    pub dh: Option<DhAlg>,
    /// The peer's SPI for this SA (our outbound SPI).
    pub peer_spi: u32,
    /// Proposal echoed in the response (with our SPI filled in by the caller).
    pub proposal: Proposal,
}

fn esp_matches(
    peer: &Proposal,
    ours: &EspProposal,
    pfs_group: Option<Option<DhAlg>>,
) -> Option<ChosenEsp> {
    if peer.protocol != ProtocolId::Esp || has_unknown_transform_type(peer) {
        return None;
    }
    let spi: [u8; 4] = peer.spi.as_slice().try_into().ok()?;
    let (encr, te) = pick_encr(peer, &ours.encr)?;
    let mut transforms = vec![te];
    let integ = if encr.is_aead() {
        if transforms_of(peer, TransformType::Integ)
            .any(|t| t.transform_id != u16::from(IntegId::None))
        {
            return None;
        }
        None
    } else {
        let (i, ti) = pick(peer, TransformType::Integ, &ours.integ, |id| {
            IntegAlg::from_wire(IntegId::from(id))
        })?;
        transforms.push(ti);
        Some(i)
    };
    let peer_dh: Vec<&Transform> = transforms_of(peer, TransformType::Dh).collect();
    let dh = match pfs_group {
        // IKE_AUTH: no KE payload is possible; a proposal with only DH transforms other than
        // NONE still matches by dropping DH (RFC 7296 §1.2: DH is negotiated in CREATE_CHILD_SA).
        None => None,
        Some(None) => {
            if peer_dh.iter().any(|t| t.transform_id != 0)
                && !peer_dh.iter().any(|t| t.transform_id == 0)
            {
                return None;
            }
            None
        }
        Some(Some(g)) => {
            if !ours.dh.contains(&g)
                || !peer_dh
                    .iter()
                    .any(|t| t.transform_id == u16::from(g.to_wire()))
            {
                return None;
            }
            transforms.push(Transform::new(TransformType::Dh, u16::from(g.to_wire())));
            Some(g)
        }
    };
    // ESN: we only do 32-bit sequence numbers. Absent ESN transform means no ESN.
    let esn: Vec<&Transform> = transforms_of(peer, TransformType::Esn).collect();
    if !esn.is_empty()
        && !esn
            .iter()
            .any(|t| t.transform_id == u16::from(EsnId::NoEsn))
    {
        return None;
    }
    transforms.push(Transform::new(TransformType::Esn, u16::from(EsnId::NoEsn)));
    Some(ChosenEsp {
        encr,
        integ,
        dh,
        peer_spi: u32::from_be_bytes(spi),
        proposal: Proposal {
            number: peer.number,
            protocol: ProtocolId::Esp,
            spi: peer.spi.clone(),
            transforms,
        },
    })
}

/// Choose an ESP proposal. `pfs_group`: `None` in IKE_AUTH (DH ignored), `Some(g)` in
/// CREATE_CHILD_SA with the KE group (or `Some(None)` without KE).
pub(crate) fn select_esp(
    peer: &SaPayload,
    ours: &[EspProposal],
    pfs_group: Option<Option<DhAlg>>,
) -> Option<ChosenEsp> {
    peer.proposals
        .iter()
        .find_map(|p| ours.iter().find_map(|o| esp_matches(p, o, pfs_group)))
}

/// Human-readable IKE suite, strongSwan style.
pub(crate) fn ike_suite_name(s: &IkeSuite) -> String {
    let mut parts = vec![encr_name(s.encr).to_string()];
    if let Some(i) = s.integ {
        parts.push(integ_name(i).into());
    }
    parts.push(
        match s.prf {
            PrfAlg::HmacSha256 => "PRF_HMAC_SHA2_256",
            PrfAlg::HmacSha384 => "PRF_HMAC_SHA2_384",
            PrfAlg::HmacSha512 => "PRF_HMAC_SHA2_512",
        }
        .into(),
    );
    parts.push(dh_name(s.dh).into());
    parts.join("/")
}

/// Human-readable ESP suite.
pub(crate) fn esp_suite_name(encr: EncrAlg, integ: Option<IntegAlg>) -> String {
    match integ {
        Some(i) => format!("{}/{}", encr_name(encr), integ_name(i)),
        None => encr_name(encr).into(),
    }
}

fn encr_name(e: EncrAlg) -> &'static str {
    match e {
        EncrAlg::AesCbc128 => "AES_CBC_128",
        EncrAlg::AesCbc256 => "AES_CBC_256",
        EncrAlg::AesGcm16_128 => "AES_GCM_16_128",
        EncrAlg::AesGcm16_256 => "AES_GCM_16_256",
        EncrAlg::ChaCha20Poly1305 => "CHACHA20_POLY1305",
    }
}

fn integ_name(i: IntegAlg) -> &'static str {
    match i {
        IntegAlg::HmacSha256_128 => "HMAC_SHA2_256_128",
        IntegAlg::HmacSha384_192 => "HMAC_SHA2_384_192",
        IntegAlg::HmacSha512_256 => "HMAC_SHA2_512_256",
    }
}

fn dh_name(d: DhAlg) -> &'static str {
    match d {
        DhAlg::Modp2048 => "MODP_2048",
        DhAlg::Ecp256 => "ECP_256",
        DhAlg::Ecp384 => "ECP_384",
        DhAlg::Curve25519 => "CURVE_25519",
    }
}
