//! Seed corpora: real IKEv2 messages for every target, built deterministically.
//!
//! Sources: the IKE_SA_INIT request of `crates/ike-wire/tests/messages.rs` (strongSwan's
//! payload order), RFC 7634 Appendix B (a complete ChaCha20-Poly1305 INFORMATIONAL message),
//! RFC 5903 §8 / RFC 8031 App. A public values, and the protected exchanges of RFC 7296 and
//! RFC 5723 (IKE_AUTH with a ticket request and grant, CREATE_CHILD_SA, INFORMATIONAL Delete,
//! IKE_SESSION_RESUME, an RFC 7383 fragment) sealed with [`crate::fixtures::sk_keys`].
//!
//! Input layouts per target are documented in each `fuzz_targets/*.rs`; the builders here
//! follow them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hex_literal::hex;
use ike_crypto::DhAlg;
use ike_crypto::dh::KeyExchange;
use ike_crypto::sk::seal_with_iv;
use ike_wire::{
    AuthMethod, AuthPayload, CertEncoding, CertPayload, CertReqPayload, CfgAttribute,
    CfgAttributeType, CfgType, CpPayload, DeletePayload, DhGroup, EapPayload, EncrId, EsnId,
    ExchangeType, Flags, IdPayload, IkeHeader, IntegId, KePayload, Message, NoncePayload,
    NotifyPayload, NotifyType, Payload, PayloadType, PrfId, Proposal, ProtocolId, SaPayload,
    TrafficSelector, Transform, TsPayload, TsType, UnknownPayload, VendorIdPayload,
    emit_payload_chain,
};

use crate::fixtures::{
    CHACHA_SUITE, DH_GROUPS, P256_GR, P384_GR, SUITES, X25519_GR, dh_private, sk_keys,
};

/// One seed file: `corpus/<target>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The fuzz target (binary) name.
    pub target: &'static str,
    /// File name inside the target's corpus directory.
    pub name: String,
    /// The input bytes.
    pub data: Vec<u8>,
}

/// IKE_SA_INIT request from `crates/ike-wire/tests/messages.rs` (SA with two proposals, KE,
/// Ni, NAT-D, IKEV2_FRAGMENTATION_SUPPORTED, SIGNATURE_HASH_ALGORITHMS, V).
pub const IKE_SA_INIT_REQUEST: [u8; 306] = hex!(
    "a1b2c3d4e5f60718 0000000000000000 21 20 22 08 00000000 00000132"
    "22 00 0068"
    "02 00 0040 01 01 00 06"
    "03 00 000c 01 00 000c 800e 0080"
    "03 00 000c 01 00 000c 800e 0100"
    "03 00 0008 02 00 0005"
    "03 00 0008 03 00 000c"
    "03 00 0008 04 00 001f"
    "00 00 0008 04 00 0013"
    "00 00 0024 02 01 00 03"
    "03 00 000c 01 00 0014 800e 0100"
    "03 00 0008 02 00 0005"
    "00 00 0008 04 00 001f"
    "28 00 0028 001f 0000 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "29 00 0024 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "29 00 001c 00 00 4004 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "29 00 001c 00 00 4005 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "29 00 0008 00 00 402e"
    "2b 00 000e 00 00 402f 0002 0003 0004"
    "00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb"
);

/// RFC 7634 Appendix B: INFORMATIONAL request, MID 9, one SK payload (ChaCha20-Poly1305).
pub const RFC7634_MESSAGE: [u8; 69] = hex!(
    "c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045"
    "29 00 0029 1011121314151617 61039470 1f8d017f 7c129248 89"
    "6b71bfe2 5236efd7 cdc67066 906315b2"
);

/// RFC 7634 Appendix B decrypted inner chain: N(SET_WINDOW_SIZE = 10).
pub const RFC7634_PLAINTEXT: [u8; 12] = hex!("0000000c 00004001 0000000a");

const SPI_I: [u8; 8] = hex!("0102030405060708");
const SPI_R: [u8; 8] = hex!("1112131415161718");

fn header(exchange: ExchangeType, initiator: bool, response: bool, mid: u32) -> IkeHeader {
    IkeHeader::new(
        SPI_I,
        if exchange == ExchangeType::IkeSaInit && !response {
            [0; 8]
        } else {
            SPI_R
        },
        exchange,
        Flags::new(initiator, response),
        mid,
    )
}

fn ipv4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

fn ts(start: IpAddr, end: IpAddr) -> TrafficSelector {
    match TrafficSelector::any_port(start, end) {
        Some(t) => t,
        None => panic!("seed traffic selector: mixed families"),
    }
}

fn ts_v4_and_v6() -> TsPayload {
    TsPayload {
        selectors: vec![
            ts(ipv4([10, 0, 0, 0]), ipv4([10, 0, 255, 255])),
            TrafficSelector {
                ts_type: TsType::Ipv4AddrRange,
                ip_protocol: 17,
                start_port: 500,
                end_port: 4500,
                start_addr: ipv4([192, 0, 2, 1]),
                end_addr: ipv4([192, 0, 2, 1]),
            },
            ts(
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0)),
                IpAddr::V6(Ipv6Addr::new(
                    0x2001, 0xdb8, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff,
                )),
            ),
        ],
    }
}

fn esp_sa(spi: [u8; 4]) -> SaPayload {
    SaPayload {
        proposals: vec![Proposal {
            number: 1,
            protocol: ProtocolId::Esp,
            spi: spi.to_vec(),
            transforms: vec![
                Transform::encr(EncrId::AesGcm16, Some(256)),
                Transform::encr(EncrId::ChaCha20Poly1305, None),
                Transform::esn(EsnId::NoEsn),
            ],
        }],
    }
}

fn ike_sa_chosen() -> SaPayload {
    SaPayload {
        proposals: vec![Proposal {
            number: 1,
            protocol: ProtocolId::Ike,
            spi: vec![],
            transforms: vec![
                Transform::encr(EncrId::AesCbc, Some(128)),
                Transform::prf(PrfId::HmacSha2_256),
                Transform::integ(IntegId::HmacSha2_256_128),
                Transform::dh(DhGroup::Curve25519),
            ],
        }],
    }
}

fn cp_request() -> CpPayload {
    CpPayload {
        cfg_type: CfgType::Request,
        attributes: vec![
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp4Address,
                value: vec![],
            },
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp4Dns,
                value: vec![],
            },
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp6Address,
                value: vec![],
            },
        ],
    }
}

fn cp_reply() -> CpPayload {
    CpPayload {
        cfg_type: CfgType::Reply,
        attributes: vec![
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp4Address,
                value: vec![10, 9, 0, 2],
            },
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp4Dns,
                value: vec![10, 9, 0, 1],
            },
            CfgAttribute {
                attr_type: CfgAttributeType::InternalIp6Address,
                value: hex!("20010db8000000000000000000000002 40").to_vec(),
            },
        ],
    }
}

/// Inner chain of an IKE_AUTH request with certificates, config, a Child SA and a ticket
/// request (RFC 7296 §1.2, RFC 5723 §4.3.1).
fn ike_auth_request_inner() -> Vec<Payload> {
    vec![
        Payload::IdI(IdPayload::fqdn("initiator.example")),
        Payload::Cert(CertPayload {
            encoding: CertEncoding::X509Signature,
            data: hex!("3082010a0282010100c0ffee").to_vec(),
        }),
        Payload::CertReq(CertReqPayload {
            encoding: CertEncoding::X509Signature,
            data: [0x5a; 20].to_vec(),
        }),
        Payload::Notify(NotifyPayload::status(NotifyType::InitialContact)),
        Payload::IdR(IdPayload::ipv4(Ipv4Addr::new(192, 0, 2, 2))),
        Payload::Auth(AuthPayload {
            method: AuthMethod::DigitalSignature,
            data: hex!("0f 300d06092a864886f70d01010b0500 0102030405060708").to_vec(),
        }),
        Payload::Cp(cp_request()),
        Payload::Notify(NotifyPayload::status(NotifyType::MobikeSupported)),
        Payload::Sa(esp_sa(hex!("c1c2c3c4"))),
        Payload::TsI(ts_v4_and_v6()),
        Payload::TsR(ts_v4_and_v6()),
        Payload::Notify(NotifyPayload::status(NotifyType::TicketRequest)),
    ]
}

/// Inner chain of the IKE_AUTH response granting a ticket (RFC 5723 §4.3.1).
fn ike_auth_response_inner() -> Vec<Payload> {
    vec![
        Payload::IdR(IdPayload::rfc822("gw@example.net")),
        Payload::Auth(AuthPayload {
            method: AuthMethod::SharedKeyMic,
            data: [0x3c; 32].to_vec(),
        }),
        Payload::Cp(cp_reply()),
        Payload::Sa(esp_sa(hex!("d1d2d3d4"))),
        Payload::TsI(ts_v4_and_v6()),
        Payload::TsR(ts_v4_and_v6()),
        Payload::Notify(NotifyPayload::ticket_lt_opaque(
            86400,
            (0..64u8).map(|i| i.wrapping_mul(37)).collect(),
        )),
        Payload::Notify(NotifyPayload::status(NotifyType::AuthLifetime)),
    ]
}

/// CREATE_CHILD_SA request for a new Child SA with PFS (RFC 7296 §1.3.1).
fn create_child_inner() -> Vec<Payload> {
    vec![
        Payload::Sa(esp_sa(hex!("e1e2e3e4"))),
        Payload::Nonce(NoncePayload {
            data: [0x77; 32].to_vec(),
        }),
        Payload::Ke(KePayload {
            group: DhGroup::Curve25519,
            data: X25519_GR.to_vec(),
        }),
        Payload::TsI(ts_v4_and_v6()),
        Payload::TsR(ts_v4_and_v6()),
    ]
}

/// INFORMATIONAL: delete the IKE SA and two ESP SAs, with a window-size update.
fn informational_inner() -> Vec<Payload> {
    vec![
        Payload::Delete(DeletePayload::esp(&[hex!("c1c2c3c4"), hex!("d1d2d3d4")])),
        Payload::Delete(DeletePayload::ike()),
        Payload::Notify(NotifyPayload::set_window_size(10)),
    ]
}

/// EAP in IKE_AUTH (an EAP-Identity response, RFC 3748 §5.1).
fn eap_inner() -> Vec<Payload> {
    vec![Payload::Eap(EapPayload {
        data: hex!("02 01 0009 01 75736572").to_vec(),
    })]
}

/// Every payload type in one outer chain, in the clear, then an SK: syntax seeds for the
/// parsers that protected messages hide from the outer-message targets.
fn every_payload_outer() -> Vec<Payload> {
    let mut v = vec![
        Payload::Sa(ike_sa_chosen()),
        Payload::Ke(KePayload {
            group: DhGroup::Ecp256,
            data: P256_GR.to_vec(),
        }),
        Payload::Nonce(NoncePayload {
            data: [0x4e; 32].to_vec(),
        }),
        Payload::VendorId(VendorIdPayload {
            data: b"tessera".to_vec(),
        }),
        Payload::Unknown(UnknownPayload {
            payload_type: 200,
            critical: false,
            body: hex!("abcdef").to_vec(),
        }),
    ];
    v.extend(ike_auth_request_inner());
    v.extend(informational_inner());
    v.extend(eap_inner());
    v.push(Payload::Encrypted(ike_wire::EncryptedPayload {
        first_inner: PayloadType::Notify,
        data: [0xee; 48].to_vec(),
    }));
    v
}

fn chain_bytes(payloads: &[Payload]) -> (u8, Vec<u8>) {
    let mut out = Vec::new();
    let first = emit_payload_chain(payloads, &mut out);
    (u8::from(first), out)
}

fn iv_for(suite: usize) -> Vec<u8> {
    let (encr, _) = SUITES[suite];
    (0..encr.iv_len()).map(|i| 0x10 + i as u8).collect()
}

/// Seal `inner` into a message with `hdr` and optional clear payloads before SK (or SKF with
/// `fragment`).
fn sealed(
    suite: usize,
    hdr: &IkeHeader,
    clear: &[Payload],
    inner: &[Payload],
    fragment: Option<(u16, u16)>,
) -> Vec<u8> {
    let sk_type = if fragment.is_some() {
        PayloadType::EncryptedFragment
    } else {
        PayloadType::Encrypted
    };
    let mut head = hdr.to_bytes().to_vec();
    if clear.is_empty() {
        head[16] = u8::from(sk_type);
    } else {
        let first = emit_payload_chain(clear, &mut head);
        head[16] = u8::from(first);
        // Re-point the last clear payload's Next Payload at SK/SKF.
        let mut at = 28;
        loop {
            let len = usize::from(u16::from_be_bytes([head[at + 2], head[at + 3]]));
            if at + len == head.len() {
                head[at] = u8::from(sk_type);
                break;
            }
            at += len;
        }
    }
    let (first_inner, plain) = chain_bytes(inner);
    match seal_with_iv(
        &sk_keys(suite),
        &head,
        first_inner,
        fragment,
        &plain,
        &iv_for(suite),
    ) {
        Ok(m) => m,
        Err(e) => panic!("sealing seed for suite {suite}: {e}"),
    }
}

fn emit(msg: Message) -> Vec<u8> {
    msg.emit()
}

/// Whole messages for `wire_parse` / `wire_roundtrip`, by name.
pub(crate) fn messages() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = vec![
        ("ike_sa_init_request".into(), IKE_SA_INIT_REQUEST.to_vec()),
        ("rfc7634_informational".into(), RFC7634_MESSAGE.to_vec()),
    ];
    v.push((
        "ike_sa_init_response".into(),
        emit(Message {
            header: header(ExchangeType::IkeSaInit, false, true, 0),
            payloads: vec![
                Payload::Sa(ike_sa_chosen()),
                Payload::Ke(KePayload {
                    group: DhGroup::Curve25519,
                    data: X25519_GR.to_vec(),
                }),
                Payload::Nonce(NoncePayload {
                    data: [0x61; 32].to_vec(),
                }),
                Payload::Notify(NotifyPayload::new(
                    NotifyType::NatDetectionSourceIp,
                    [0xcc; 20].to_vec(),
                )),
                Payload::Notify(NotifyPayload::new(
                    NotifyType::NatDetectionDestinationIp,
                    [0xdd; 20].to_vec(),
                )),
                Payload::CertReq(CertReqPayload {
                    encoding: CertEncoding::X509Signature,
                    data: [0x5a; 40].to_vec(),
                }),
                Payload::Notify(NotifyPayload::status(
                    NotifyType::Ikev2FragmentationSupported,
                )),
                Payload::Notify(NotifyPayload::signature_hash_algorithms(&[2, 3, 4])),
            ],
        }),
    ));
    v.push((
        "ike_sa_init_cookie".into(),
        emit(Message {
            header: header(ExchangeType::IkeSaInit, false, true, 0),
            payloads: vec![Payload::Notify(NotifyPayload::new(
                NotifyType::Cookie,
                [0x0c; 36].to_vec(),
            ))],
        }),
    ));
    v.push((
        "ike_sa_init_invalid_ke".into(),
        emit(Message {
            header: header(ExchangeType::IkeSaInit, false, true, 0),
            payloads: vec![Payload::Notify(NotifyPayload::invalid_ke_payload(
                DhGroup::Ecp256,
            ))],
        }),
    ));
    // RFC 5723 §4.3.1: HDR, Ni, N(TICKET_OPAQUE) [, N+] — in the clear.
    v.push((
        "ike_session_resume_request".into(),
        emit(Message {
            header: IkeHeader::new(
                hex!("2122232425262728"),
                [0; 8],
                ExchangeType::IkeSessionResume,
                Flags::new(true, false),
                0,
            ),
            payloads: vec![
                Payload::Nonce(NoncePayload {
                    data: [0x4e; 32].to_vec(),
                }),
                Payload::Notify(NotifyPayload::ticket_opaque(
                    (0..80u8).map(|i| i ^ 0xa5).collect(),
                )),
                Payload::Notify(NotifyPayload::new(
                    NotifyType::NatDetectionSourceIp,
                    [0xcc; 20].to_vec(),
                )),
                Payload::Notify(NotifyPayload::new(
                    NotifyType::NatDetectionDestinationIp,
                    [0xdd; 20].to_vec(),
                )),
            ],
        }),
    ));
    v.push((
        "every_payload_in_clear".into(),
        emit(Message {
            header: header(ExchangeType::IkeAuth, true, false, 1),
            payloads: every_payload_outer(),
        }),
    ));
    for (suite, (encr, _)) in SUITES.iter().enumerate() {
        v.push((
            format!("ike_auth_request_{encr:?}"),
            sealed(
                suite,
                &header(ExchangeType::IkeAuth, true, false, 1),
                &[],
                &ike_auth_request_inner(),
                None,
            ),
        ));
    }
    v.push((
        "ike_auth_response".into(),
        sealed(
            2,
            &header(ExchangeType::IkeAuth, false, true, 1),
            &[],
            &ike_auth_response_inner(),
            None,
        ),
    ));
    v.push((
        "create_child_sa_request".into(),
        sealed(
            0,
            &header(ExchangeType::CreateChildSa, true, false, 2),
            &[],
            &create_child_inner(),
            None,
        ),
    ));
    v.push((
        "informational_delete".into(),
        sealed(
            CHACHA_SUITE,
            &header(ExchangeType::Informational, false, false, 3),
            &[],
            &informational_inner(),
            None,
        ),
    ));
    v.push((
        "ike_auth_fragment_1_of_2".into(),
        sealed(
            1,
            &header(ExchangeType::IkeAuth, true, false, 1),
            &[],
            &ike_auth_request_inner(),
            Some((1, 2)),
        ),
    ));
    // A protected message with an unencrypted payload before SK (AAD covers it).
    v.push((
        "clear_notify_then_sk".into(),
        sealed(
            3,
            &header(ExchangeType::Informational, true, true, 4),
            &[Payload::Notify(NotifyPayload::status(
                NotifyType::InitialContact,
            ))],
            &eap_inner(),
            None,
        ),
    ));
    v
}

/// Inner chains for `payload_chain`: `[first type] ‖ chain`.
pub(crate) fn chains() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for (name, payloads) in [
        ("ike_auth_request", ike_auth_request_inner()),
        ("ike_auth_response", ike_auth_response_inner()),
        ("create_child_sa", create_child_inner()),
        ("informational", informational_inner()),
        ("eap", eap_inner()),
        ("every_payload", every_payload_outer()),
    ] {
        let (first, bytes) = chain_bytes(&payloads);
        let mut data = vec![first];
        data.extend_from_slice(&bytes);
        v.push((name.to_string(), data));
    }
    let mut rfc = vec![u8::from(PayloadType::Notify)];
    rfc.extend_from_slice(&RFC7634_PLAINTEXT);
    v.push(("rfc7634_inner".into(), rfc));
    let mut init = vec![IKE_SA_INIT_REQUEST[16]];
    init.extend_from_slice(&IKE_SA_INIT_REQUEST[28..]);
    v.push(("ike_sa_init_outer".into(), init));
    v
}

/// `sk_open` seeds: `[suite] ‖ message`, each opening with the fixed keys.
pub(crate) fn sk_open_seeds() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for (suite, (encr, _)) in SUITES.iter().enumerate() {
        let mut data = vec![u8::try_from(suite).unwrap_or(0)];
        data.extend(sealed(
            suite,
            &header(ExchangeType::IkeAuth, true, false, 1),
            &[],
            &ike_auth_request_inner(),
            None,
        ));
        v.push((format!("ike_auth_{encr:?}"), data));
    }
    let mut rfc = vec![u8::try_from(CHACHA_SUITE).unwrap_or(0)];
    rfc.extend_from_slice(&RFC7634_MESSAGE);
    v.push(("rfc7634_appendix_b".into(), rfc));
    let mut clear = vec![3];
    clear.extend(sealed(
        3,
        &header(ExchangeType::Informational, true, true, 4),
        &[Payload::Notify(NotifyPayload::status(
            NotifyType::InitialContact,
        ))],
        &eap_inner(),
        None,
    ));
    v.push(("clear_notify_then_sk".into(), clear));
    let mut frag = vec![1];
    frag.extend(sealed(
        1,
        &header(ExchangeType::IkeAuth, true, false, 1),
        &[],
        &informational_inner(),
        Some((2, 2)),
    ));
    v.push(("skf_2_of_2".into(), frag));
    v
}

/// Mode byte bits of the `sk_roundtrip` layout (see `fuzz_targets/sk_roundtrip.rs`).
pub const ROUNDTRIP_CLEAR_PAYLOAD: u8 = 0x08;
/// SKF instead of SK; four octets Fragment Number ‖ Total Fragments follow the mode byte.
pub const ROUNDTRIP_FRAGMENT: u8 = 0x10;

/// `sk_roundtrip` seeds: `mode ‖ [frag_no ‖ total] ‖ first_inner ‖ IV ‖ plaintext`.
fn sk_roundtrip_seeds() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let (first, plain) = chain_bytes(&ike_auth_request_inner());
    for (suite, (encr, _)) in SUITES.iter().enumerate() {
        let s = u8::try_from(suite).unwrap_or(0);
        for (label, mode) in [
            ("sk", s),
            ("clear_sk", s | ROUNDTRIP_CLEAR_PAYLOAD),
            ("skf", s | ROUNDTRIP_FRAGMENT),
        ] {
            let mut data = vec![mode];
            if mode & ROUNDTRIP_FRAGMENT != 0 {
                data.extend_from_slice(&[0, 1, 0, 3]);
            }
            data.push(first);
            data.extend(iv_for(suite));
            data.extend_from_slice(&plain);
            v.push((format!("{label}_{encr:?}"), data));
        }
    }
    // Empty plaintext (an empty INFORMATIONAL, the liveness check).
    let mut empty = vec![u8::try_from(CHACHA_SUITE).unwrap_or(0), 0];
    empty.extend(iv_for(CHACHA_SUITE));
    v.push(("empty_informational".into(), empty));
    v
}

/// `ike_crypto_dh` seeds: `[group] ‖ peer public value`, the RFC responder values plus edge
/// values the validation must refuse.
pub(crate) fn dh_seeds() -> Vec<(String, Vec<u8>)> {
    let modp_peer = match KeyExchange::from_private(DhAlg::Modp2048, &[0x42; 32]) {
        Ok(kx) => kx.public_key().to_vec(),
        Err(e) => panic!("MODP seed key: {e}"),
    };
    let mut v = Vec::new();
    for (i, alg) in DH_GROUPS.iter().enumerate() {
        let peer: Vec<u8> = match alg {
            DhAlg::Modp2048 => modp_peer.clone(),
            DhAlg::Ecp256 => P256_GR.to_vec(),
            DhAlg::Ecp384 => P384_GR.to_vec(),
            DhAlg::Curve25519 => X25519_GR.to_vec(),
        };
        let mut data = vec![u8::try_from(i).unwrap_or(0)];
        data.extend_from_slice(&peer);
        v.push((format!("{alg:?}_peer"), data));
        // Our own public value: also a valid peer value, and a private-key candidate.
        let own = match KeyExchange::from_private(*alg, dh_private(*alg)) {
            Ok(kx) => kx.public_key().to_vec(),
            Err(e) => panic!("fixture private for {alg:?}: {e}"),
        };
        let mut data = vec![u8::try_from(i).unwrap_or(0)];
        data.extend_from_slice(&own);
        v.push((format!("{alg:?}_own"), data));
    }
    // A MODP value above p (RFC 6989 §2.1: must be refused) and a point of order 8 on
    // Curve25519 (all-zero shared secret, RFC 7748 §6.1).
    let mut above_p = vec![0];
    above_p.extend_from_slice(&[0xff; 256]);
    v.push(("Modp2048_above_p".into(), above_p));
    let mut low = vec![3];
    low.extend_from_slice(&hex!(
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"
    ));
    v.push(("Curve25519_low_order".into(), low));
    v
}

/// Every seed of every target.
pub fn all() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |target: &'static str, seeds: Vec<(String, Vec<u8>)>| {
        out.extend(
            seeds
                .into_iter()
                .map(|(name, data)| Seed { target, name, data }),
        );
    };
    let msgs = messages();
    add("wire_parse", msgs.clone());
    add("wire_roundtrip", msgs);
    add("payload_chain", chains());
    add("sk_open", sk_open_seeds());
    add("sk_roundtrip", sk_roundtrip_seeds());
    add("ike_crypto_dh", dh_seeds());
    let proto = crate::proto_seeds::record();
    add(
        "ticket_open",
        crate::proto_seeds::ticket_seeds(&proto.session),
    );
    add(
        "session_decode",
        crate::proto_seeds::session_seeds(&proto.session),
    );
    add("endpoint_responder", proto.responder);
    add("config_parse", crate::proto_seeds::config_seeds());
    out
}
