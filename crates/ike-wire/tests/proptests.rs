//! Property tests: generated messages round-trip byte for byte, and no input makes the
//! parser panic (random bytes, and random mutations of valid messages).

use ike_wire::*;
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn attribute() -> impl Strategy<Value = TransformAttribute> {
    prop_oneof![
        (0u16..0x8000, any::<u16>())
            .prop_map(|(attr_type, value)| TransformAttribute::Tv { attr_type, value }),
        (0u16..0x8000, bytes(8))
            .prop_filter("key length is TV only", |(t, _)| *t != ATTR_KEY_LENGTH)
            .prop_map(|(attr_type, value)| TransformAttribute::Tlv { attr_type, value }),
    ]
}

fn transform() -> impl Strategy<Value = Transform> {
    (any::<u8>(), any::<u16>(), vec(attribute(), 0..3)).prop_map(|(t, id, attributes)| Transform {
        transform_type: TransformType::from(t),
        transform_id: id,
        attributes,
    })
}

fn proposal() -> impl Strategy<Value = Proposal> {
    let protocol_spi = prop_oneof![
        (
            Just(ProtocolId::Ike),
            prop_oneof![Just(vec![]), vec(any::<u8>(), 8)]
        ),
        (Just(ProtocolId::Esp), vec(any::<u8>(), 4)),
        (Just(ProtocolId::Ah), vec(any::<u8>(), 4)),
        (4u8.., bytes(8)).prop_map(|(p, spi)| (ProtocolId::from(p), spi)),
    ];
    (protocol_spi, vec(transform(), 1..5)).prop_map(|((protocol, spi), transforms)| Proposal {
        number: 0,
        protocol,
        spi,
        transforms,
    })
}

fn sa() -> impl Strategy<Value = SaPayload> {
    vec(proposal(), 1..4).prop_map(|mut proposals| {
        for (i, p) in proposals.iter_mut().enumerate() {
            p.number = i as u8 + 1;
        }
        SaPayload { proposals }
    })
}

fn selector() -> impl Strategy<Value = TrafficSelector> {
    let addrs = prop_oneof![
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(a, b)| (
            TsType::Ipv4AddrRange,
            IpAddr::V4(Ipv4Addr::from(a)),
            IpAddr::V4(Ipv4Addr::from(b))
        )),
        (any::<[u8; 16]>(), any::<[u8; 16]>()).prop_map(|(a, b)| (
            TsType::Ipv6AddrRange,
            IpAddr::V6(Ipv6Addr::from(a)),
            IpAddr::V6(Ipv6Addr::from(b))
        )),
    ];
    (addrs, any::<u8>(), any::<u16>(), any::<u16>()).prop_map(
        |((ts_type, start_addr, end_addr), ip_protocol, start_port, end_port)| TrafficSelector {
            ts_type,
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        },
    )
}

fn id() -> impl Strategy<Value = IdPayload> {
    prop_oneof![
        vec(any::<u8>(), 4).prop_map(|data| IdPayload {
            id_type: IdType::Ipv4Addr,
            data
        }),
        vec(any::<u8>(), 16).prop_map(|data| IdPayload {
            id_type: IdType::Ipv6Addr,
            data
        }),
        (any::<u8>(), bytes(24))
            .prop_filter("address types have fixed lengths", |(t, _)| *t != 1
                && *t != 5)
            .prop_map(|(t, data)| IdPayload {
                id_type: IdType::from(t),
                data
            }),
    ]
}

fn delete() -> impl Strategy<Value = DeletePayload> {
    prop_oneof![
        Just(DeletePayload::ike()),
        vec(any::<[u8; 4]>(), 0..4).prop_map(|s| DeletePayload::esp(&s)),
        (4u8.., 1u8..9, 0usize..4).prop_flat_map(|(p, size, n)| {
            vec(vec(any::<u8>(), usize::from(size)), n).prop_map(move |spis| DeletePayload {
                protocol: ProtocolId::from(p),
                spi_size: size,
                spis,
            })
        }),
    ]
}

fn eap() -> impl Strategy<Value = EapPayload> {
    (any::<u8>(), any::<u8>(), bytes(16)).prop_map(|(code, ident, rest)| {
        let len = (4 + rest.len()) as u16;
        let mut data = vec![code, ident];
        data.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(&rest);
        EapPayload { data }
    })
}

/// Every payload kind except SK/SKF, which only go last.
fn inner_payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        sa().prop_map(Payload::Sa),
        (any::<u16>(), bytes(64)).prop_map(|(g, data)| Payload::Ke(KePayload {
            group: DhGroup::from(g),
            data
        })),
        id().prop_map(Payload::IdI),
        id().prop_map(Payload::IdR),
        (any::<u8>(), bytes(32)).prop_map(|(e, data)| Payload::Cert(CertPayload {
            encoding: e.into(),
            data
        })),
        (any::<u8>(), bytes(32)).prop_map(|(e, data)| Payload::CertReq(CertReqPayload {
            encoding: e.into(),
            data
        })),
        (any::<u8>(), bytes(32)).prop_map(|(m, data)| Payload::Auth(AuthPayload {
            method: m.into(),
            data
        })),
        vec(any::<u8>(), 16..=64).prop_map(|data| Payload::Nonce(NoncePayload { data })),
        (any::<u8>(), bytes(8), any::<u16>(), bytes(32)).prop_map(|(p, spi, t, data)| {
            Payload::Notify(NotifyPayload {
                protocol: p.into(),
                spi,
                notify_type: t.into(),
                data,
            })
        }),
        (any::<u32>(), vec(any::<u8>(), 1..32))
            .prop_map(|(l, t)| Payload::Notify(NotifyPayload::ticket_lt_opaque(l, t))),
        delete().prop_map(Payload::Delete),
        bytes(32).prop_map(|data| Payload::VendorId(VendorIdPayload { data })),
        vec(selector(), 0..4).prop_map(|selectors| Payload::TsI(TsPayload { selectors })),
        vec(selector(), 0..4).prop_map(|selectors| Payload::TsR(TsPayload { selectors })),
        (any::<u8>(), vec((0u16..0x8000, bytes(16)), 0..4)).prop_map(|(t, attrs)| {
            Payload::Cp(CpPayload {
                cfg_type: t.into(),
                attributes: attrs
                    .into_iter()
                    .map(|(a, value)| CfgAttribute {
                        attr_type: a.into(),
                        value,
                    })
                    .collect(),
            })
        }),
        eap().prop_map(Payload::Eap),
        (any::<u8>(), bytes(16))
            .prop_filter("unknown types only", |(t, _)| matches!(
                PayloadType::from(*t),
                PayloadType::Unknown(_)
            ))
            .prop_map(|(payload_type, body)| Payload::Unknown(UnknownPayload {
                payload_type,
                critical: false,
                body
            })),
    ]
}

fn encrypted() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (any::<u8>(), bytes(64)).prop_map(|(t, data)| Payload::Encrypted(EncryptedPayload {
            first_inner: t.into(),
            data
        })),
        (any::<u8>(), 1u16.., bytes(64)).prop_flat_map(|(t, total, data)| {
            (1..=total).prop_map(move |n| {
                Payload::EncryptedFragment(EncryptedFragmentPayload {
                    first_inner: t.into(),
                    fragment_number: n,
                    total_fragments: total,
                    data: data.clone(),
                })
            })
        }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<([u8; 8], [u8; 8])>(),
        (0u8..16, any::<u8>(), any::<u8>(), any::<u32>()),
        vec(inner_payload(), 0..8),
        proptest::option::of(encrypted()),
    )
        .prop_map(
            |((spi_i, spi_r), (minor, exch, flags, mid), mut payloads, sk)| {
                payloads.extend(sk);
                Message {
                    header: IkeHeader {
                        spi_i,
                        spi_r,
                        next_payload: PayloadType::NoNext,
                        major_version: 2,
                        minor_version: minor,
                        exchange_type: exch.into(),
                        flags: Flags(flags),
                        message_id: mid,
                        length: 0,
                    },
                    payloads,
                }
            },
        )
}

/// Everything the parser exposes, on one input; none of it may panic.
fn parse_everything(buf: &[u8]) {
    if let Ok(m) = Message::parse(buf) {
        // Whatever parses re-encodes, and the re-encoding parses to the same value.
        let again = m.try_emit().expect("a parsed message re-encodes");
        assert_eq!(
            Message::parse(&again).expect("re-encoding parses").payloads,
            m.payloads
        );
    }
    let _ = find_encrypted_payload(buf);
    let _ = IkeHeader::parse(buf);
    for first in [33u8, 34, 35, 38, 40, 41, 42, 44, 46, 47, 48, 53, 200] {
        let _ = parse_payload_chain(PayloadType::from(first), buf);
    }
    let _ = SaPayload::parse_body(buf);
    let _ = TsPayload::parse_body(buf);
    let _ = CpPayload::parse_body(buf);
    let _ = DeletePayload::parse_body(buf);
    let _ = TicketLtOpaque::parse(buf);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn emit_parse_emit_is_identical(msg in message()) {
        let bytes = msg.emit();
        let parsed = Message::parse(&bytes).expect("emitted message parses");
        prop_assert_eq!(&parsed.payloads, &msg.payloads);
        prop_assert_eq!(parsed.header.length as usize, bytes.len());
        prop_assert_eq!(parsed.header.spi_i, msg.header.spi_i);
        prop_assert_eq!(parsed.header.flags, msg.header.flags);
        prop_assert_eq!(parsed.emit(), bytes.clone());
        let sk_at = find_encrypted_payload(&bytes).unwrap();
        prop_assert_eq!(sk_at.is_some(), msg.payloads.last().is_some_and(Payload::is_encrypted));
    }

    #[test]
    fn random_bytes_never_panic(buf in bytes(600)) {
        parse_everything(&buf);
    }

    #[test]
    fn random_chain_behind_valid_header_never_panics(msg in message(), tail in bytes(300)) {
        // A well-formed header with a matching length in front of random payload bytes.
        let mut buf = msg.emit()[..IKE_HEADER_LEN].to_vec();
        buf[16] = tail.first().copied().unwrap_or(0);
        buf.extend_from_slice(&tail);
        let len = buf.len() as u32;
        buf[24..28].copy_from_slice(&len.to_be_bytes());
        parse_everything(&buf);
    }

    #[test]
    fn mutated_messages_never_panic(
        msg in message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let mut buf = msg.emit();
        for (at, byte, kind) in edits {
            if buf.is_empty() {
                break;
            }
            let i = at.index(buf.len());
            match kind {
                0 => buf[i] = byte,
                1 => buf[i] ^= 1 << (byte % 8),
                2 => buf.truncate(i),
                _ => buf.insert(i, byte),
            }
        }
        parse_everything(&buf);
        // Also with the header length patched to the new size, to get past that check.
        if buf.len() >= IKE_HEADER_LEN {
            let len = buf.len() as u32;
            buf[24..28].copy_from_slice(&len.to_be_bytes());
            parse_everything(&buf);
        }
    }
}
