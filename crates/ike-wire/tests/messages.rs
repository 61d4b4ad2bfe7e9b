//! Whole-message vectors: a hand-assembled IKE_SA_INIT in strongSwan's payload order, the
//! RFC 7634 Appendix B INFORMATIONAL message, and chain-level rules.

use hex_literal::hex;
use ike_wire::*;

/// IKE_SA_INIT request laid out per RFC 7296 §1.2 / §3 in the order strongSwan sends it:
/// SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
/// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS), V.
const IKE_SA_INIT: [u8; 306] = hex!(
    // Header: SPIi, SPIr = 0, next SA, v2.0, IKE_SA_INIT, I flag, MID 0, length 306.
    "a1b2c3d4e5f60718 0000000000000000 21 20 22 08 00000000 00000132"
    // SA, length 104.
    "22 00 0068"
    //   Proposal 1 (more follow), IKE, no SPI, 6 transforms.
    "02 00 0040 01 01 00 06"
    "03 00 000c 01 00 000c 800e 0080" // ENCR_AES_CBC, key length 128
    "03 00 000c 01 00 000c 800e 0100" // ENCR_AES_CBC, key length 256
    "03 00 0008 02 00 0005"           // PRF_HMAC_SHA2_256
    "03 00 0008 03 00 000c"           // AUTH_HMAC_SHA2_256_128
    "03 00 0008 04 00 001f"           // Curve25519
    "00 00 0008 04 00 0013"           // 256-bit random ECP
    //   Proposal 2 (last), IKE, no SPI, 3 transforms.
    "00 00 0024 02 01 00 03"
    "03 00 000c 01 00 0014 800e 0100" // ENCR_AES_GCM_16, key length 256
    "03 00 0008 02 00 0005"           // PRF_HMAC_SHA2_256
    "00 00 0008 04 00 001f"           // Curve25519
    // KE, group 31, 32 octets.
    "28 00 0028 001f 0000 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    // Ni, 32 octets.
    "29 00 0024 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    // N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP): 20-octet SHA-1 values.
    "29 00 001c 00 00 4004 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "29 00 001c 00 00 4005 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    // N(IKEV2_FRAGMENTATION_SUPPORTED).
    "29 00 0008 00 00 402e"
    // N(SIGNATURE_HASH_ALGORITHMS): SHA2-256, SHA2-384, SHA2-512.
    "2b 00 000e 00 00 402f 0002 0003 0004"
    // V: MD5("strongSwan").
    "00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb"
);

/// RFC 7634 Appendix B, "The IKE Message": INFORMATIONAL request, MID 9, SK payload.
const RFC7634_MSG: [u8; 69] = hex!(
    "c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045"
    "29 00 0029 1011121314151617 61039470 1f8d017f 7c129248 89"
    "6b71bfe2 5236efd7 cdc67066 906315b2"
);

fn expected_sa() -> SaPayload {
    SaPayload {
        proposals: vec![
            Proposal {
                number: 1,
                protocol: ProtocolId::Ike,
                spi: vec![],
                transforms: vec![
                    Transform::encr(EncrId::AesCbc, Some(128)),
                    Transform::with_key_length(TransformType::Encr, 12, 256),
                    Transform::prf(PrfId::HmacSha2_256),
                    Transform::integ(IntegId::HmacSha2_256_128),
                    Transform::dh(DhGroup::Curve25519),
                    Transform::dh(DhGroup::Ecp256),
                ],
            },
            Proposal {
                number: 2,
                protocol: ProtocolId::Ike,
                spi: vec![],
                transforms: vec![
                    Transform::encr(EncrId::AesGcm16, Some(256)),
                    Transform::prf(PrfId::HmacSha2_256),
                    Transform::dh(DhGroup::Curve25519),
                ],
            },
        ],
    }
}

#[test]
fn ike_sa_init_round_trip() {
    let msg = Message::parse(&IKE_SA_INIT).unwrap();
    assert_eq!(
        msg.header,
        IkeHeader {
            spi_i: hex!("a1b2c3d4e5f60718"),
            spi_r: [0; 8],
            next_payload: PayloadType::SecurityAssociation,
            major_version: 2,
            minor_version: 0,
            exchange_type: ExchangeType::IkeSaInit,
            flags: Flags::new(true, false),
            message_id: 0,
            length: 306,
        }
    );
    let expected = vec![
        Payload::Sa(expected_sa()),
        Payload::Ke(KePayload {
            group: DhGroup::Curve25519,
            data: (0x20..0x40).collect(),
        }),
        Payload::Nonce(NoncePayload {
            data: (0x40..0x60).collect(),
        }),
        Payload::Notify(NotifyPayload::new(
            NotifyType::NatDetectionSourceIp,
            vec![0xaa; 20],
        )),
        Payload::Notify(NotifyPayload::new(
            NotifyType::NatDetectionDestinationIp,
            vec![0xbb; 20],
        )),
        Payload::Notify(NotifyPayload::status(
            NotifyType::Ikev2FragmentationSupported,
        )),
        Payload::Notify(NotifyPayload::signature_hash_algorithms(&[2, 3, 4])),
        Payload::VendorId(VendorIdPayload {
            data: hex!("882fe56d6fd20dbc2251613b2ebe5beb").to_vec(),
        }),
    ];
    assert_eq!(msg.payloads, expected);
    assert!(
        msg.find_notify(NotifyType::Ikev2FragmentationSupported)
            .is_some()
    );
    assert!(msg.find_notify(NotifyType::Cookie).is_none());
    assert_eq!(msg.notifies().count(), 4);
    assert_eq!(msg.emit(), IKE_SA_INIT);
    assert_eq!(find_encrypted_payload(&IKE_SA_INIT), Ok(None));

    // Built from scratch (length and next payload unset): emit fills them in.
    let header = IkeHeader::new(
        hex!("a1b2c3d4e5f60718"),
        [0; 8],
        ExchangeType::IkeSaInit,
        Flags::new(true, false),
        0,
    );
    let built = Message {
        header,
        payloads: expected,
    };
    assert_eq!(built.emit(), IKE_SA_INIT);

    // emit_into appends after what the buffer already holds (e.g. the non-ESP marker).
    let mut out = vec![0, 0, 0, 0];
    msg.emit_into(&mut out);
    assert_eq!(&out[..4], &[0; 4]);
    assert_eq!(&out[4..], &IKE_SA_INIT);
}

#[test]
fn ike_sa_init_every_truncation_rejected() {
    for n in 0..IKE_SA_INIT.len() {
        assert!(Message::parse(&IKE_SA_INIT[..n]).is_err(), "prefix {n}");
    }
    // A shortened buffer whose header length is patched to match still fails: the chain is cut.
    for n in IKE_HEADER_LEN..IKE_SA_INIT.len() {
        let mut b = IKE_SA_INIT[..n].to_vec();
        b[24..28].copy_from_slice(&(n as u32).to_be_bytes());
        assert!(Message::parse(&b).is_err(), "patched prefix {n}");
    }
}

#[test]
fn header_length_must_match_datagram() {
    let mut b = IKE_SA_INIT.to_vec();
    b.push(0);
    assert_eq!(Message::parse(&b), Err(WireError::LengthMismatch));
    // With the length field fixed up, the extra octet is trailing data after the last payload.
    b[24..28].copy_from_slice(&307u32.to_be_bytes());
    assert_eq!(Message::parse(&b), Err(WireError::TrailingData));
}

#[test]
fn rfc7634_message_is_header_plus_sk() {
    let msg = Message::parse(&RFC7634_MSG).unwrap();
    assert_eq!(msg.header.exchange_type, ExchangeType::Informational);
    assert_eq!(msg.header.message_id, 9);
    assert!(!msg.header.flags.is_response() && !msg.header.flags.is_initiator());
    assert_eq!(
        msg.payloads,
        vec![Payload::Encrypted(EncryptedPayload {
            first_inner: PayloadType::Notify,
            data: RFC7634_MSG[32..].to_vec(),
        })]
    );
    assert_eq!(msg.emit(), RFC7634_MSG);
    // The SK header sits right after the IKE header: AAD = the first 32 octets (RFC 7634 B).
    assert_eq!(find_encrypted_payload(&RFC7634_MSG), Ok(Some(28)));
    assert_eq!(
        &RFC7634_MSG[..32],
        &hex!("c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7 2e202500 00000009 00000045 29000029")
    );
    // The RFC's decrypted plaintext (pad length octet removed) is the inner chain.
    let inner =
        parse_payload_chain(PayloadType::Notify, &hex!("0000000c000040010000000a")).unwrap();
    assert_eq!(
        inner,
        vec![Payload::Notify(NotifyPayload::set_window_size(10))]
    );
}

#[test]
fn unknown_payloads() {
    // N(INITIAL_CONTACT) -> unknown type 200 (non-critical) -> Nonce.
    let chain = hex!(
        "c8 00 0008 00 00 4000"
        "28 00 0007 abcdef"
        "00 00 0014 000102030405060708090a0b0c0d0e0f"
    );
    let p = parse_payload_chain(PayloadType::Notify, &chain).unwrap();
    assert_eq!(
        p[1],
        Payload::Unknown(UnknownPayload {
            payload_type: 200,
            critical: false,
            body: hex!("abcdef").to_vec()
        })
    );
    assert_eq!(p[1].payload_type(), PayloadType::Unknown(200));
    let mut out = Vec::new();
    assert_eq!(emit_payload_chain(&p, &mut out), PayloadType::Notify);
    assert_eq!(out, chain);

    // Same with the C bit set on the unknown payload: the whole chain is refused.
    let mut crit = chain;
    crit[9] = 0x80;
    let err = parse_payload_chain(PayloadType::Notify, &crit).unwrap_err();
    assert_eq!(err, WireError::UnsupportedCriticalPayload(200));
    assert_eq!(err.notify_type(), NotifyType::UnsupportedCriticalPayload);
    // The C bit on a known payload is ignored (RFC 7296 §3.2).
    let mut known_crit = chain;
    known_crit[1] = 0x80;
    assert_eq!(
        parse_payload_chain(PayloadType::Notify, &known_crit).unwrap(),
        p
    );

    // An unknown payload claiming a known type is refused on emit.
    let bad = [Payload::Unknown(UnknownPayload {
        payload_type: 40,
        critical: false,
        body: vec![],
    })];
    assert!(try_emit_payload_chain(&bad, &mut Vec::new()).is_err());
}

#[test]
fn sk_must_be_last() {
    // SK (first inner N) followed by a Vendor ID payload.
    let chain = hex!("29 00 0008 01020304 00 00 0005 ff");
    assert_eq!(
        parse_payload_chain(PayloadType::Encrypted, &chain),
        Err(WireError::PayloadAfterEncrypted)
    );
    // A message with N then SKF: offset of SKF = 28 + 8.
    let mut msg = Message {
        header: IkeHeader::parse(&RFC7634_MSG).unwrap(),
        payloads: vec![
            Payload::Notify(NotifyPayload::status(NotifyType::InitialContact)),
            Payload::EncryptedFragment(EncryptedFragmentPayload {
                first_inner: PayloadType::IdInitiator,
                fragment_number: 1,
                total_fragments: 2,
                data: vec![7; 24],
            }),
        ],
    };
    let bytes = msg.emit();
    assert_eq!(find_encrypted_payload(&bytes), Ok(Some(36)));
    assert_eq!(bytes[36], u8::from(PayloadType::IdInitiator));
    assert_eq!(
        Message::parse(&bytes).unwrap(),
        Message {
            header: Message::parse(&bytes).unwrap().header,
            ..msg.clone()
        }
    );
    // Emitting SK anywhere but last is refused.
    msg.payloads.reverse();
    assert_eq!(msg.try_emit(), Err(WireError::PayloadAfterEncrypted));
}

#[test]
fn chain_length_rules() {
    // Payload length below 4.
    assert!(matches!(
        parse_payload_chain(PayloadType::VendorId, &hex!("00 00 0003")),
        Err(WireError::Malformed(_))
    ));
    // Payload length beyond the buffer.
    assert_eq!(
        parse_payload_chain(PayloadType::VendorId, &hex!("00 00 0009 0102")),
        Err(WireError::Truncated)
    );
    // Empty chain.
    assert_eq!(parse_payload_chain(PayloadType::NoNext, &[]), Ok(vec![]));
    assert_eq!(
        parse_payload_chain(PayloadType::NoNext, &[0]),
        Err(WireError::TrailingData)
    );
    let mut out = Vec::new();
    assert_eq!(emit_payload_chain(&[], &mut out), PayloadType::NoNext);
    assert!(out.is_empty());
    // find_encrypted_payload checks the header length.
    assert_eq!(
        find_encrypted_payload(&RFC7634_MSG[..60]),
        Err(WireError::LengthMismatch)
    );
    // Oversized body is refused on emit, leaving the buffer unchanged.
    let big = [Payload::VendorId(VendorIdPayload {
        data: vec![0; 65532],
    })];
    let mut out = vec![1, 2, 3];
    assert_eq!(
        try_emit_payload_chain(&big, &mut out),
        Err(WireError::TooLong)
    );
    assert_eq!(out, [1, 2, 3]);
    let ok = [Payload::VendorId(VendorIdPayload {
        data: vec![0; 65531],
    })];
    assert!(try_emit_payload_chain(&ok, &mut out).is_ok());
}

#[test]
fn wire_error_notify_mapping() {
    assert_eq!(
        WireError::InvalidMajorVersion(3).notify_type(),
        NotifyType::InvalidMajorVersion
    );
    assert_eq!(
        WireError::Malformed("x").notify_type(),
        NotifyType::InvalidSyntax
    );
    assert_eq!(
        WireError::Truncated.notify_type(),
        NotifyType::InvalidSyntax
    );
    let mut b = IKE_SA_INIT;
    b[17] = 0x30;
    assert_eq!(
        Message::parse(&b).unwrap_err().notify_type(),
        NotifyType::InvalidMajorVersion
    );
}
