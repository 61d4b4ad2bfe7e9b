//! IKE SA setup, retransmission, cookies, INVALID_KE, DPD and delete in the simulated network.
//! Each test asserts wire messages or events, not just "no error".

mod common;

use std::time::Duration;

use common::*;
use ike_proto::{ChildMode, Event, SaError, SaState};
use ike_wire::{ExchangeType, NotifyType, Payload, PayloadType};

fn closed_reasons(n: &Node) -> Vec<SaError> {
    n.events
        .iter()
        .filter_map(|e| match e {
            Event::Closed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn child_ups(n: &Node) -> Vec<(u32, u32, Vec<u8>, Vec<u8>)> {
    n.events
        .iter()
        .filter_map(|e| match e {
            Event::ChildUp {
                spi_in,
                spi_out,
                keys,
                ..
            } => Some((
                *spi_in,
                *spi_out,
                keys.encr_i.expose().to_vec(),
                keys.encr_r.expose().to_vec(),
            )),
            _ => None,
        })
        .collect()
}

fn setup(a_props: Vec<ike_proto::IkeProposal>, b_props: Vec<ike_proto::IkeProposal>) -> Pair {
    let a = psk_conn(
        "home",
        "client.example",
        Some("gw.example"),
        Some(B_IP),
        a_props,
    );
    let b = psk_conn("gw", "gw.example", None, None, b_props);
    let mut p = Pair::new(1, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p
}

#[test]
fn psk_setup_aead_x25519_establishes_both_sides_with_matching_child_keys() {
    let mut p = setup(vec![suite_gcm()], vec![suite_gcm()]);
    p.drive_until_established(Duration::from_secs(5));
    let (ia, ib) = (&p.a.ep.list()[0], &p.b.ep.list()[0]);
    assert_eq!(ia.state, SaState::Established);
    assert_eq!(ib.state, SaState::Established);
    assert_eq!((ia.spi_i, ia.spi_r), (ib.spi_i, ib.spi_r));
    assert_eq!(ia.proposal, "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519");
    assert_eq!(ib.remote_id, "client.example");
    assert_eq!(ia.remote_id, "gw.example");
    // Child SA: SPIs cross over and both derived the same KEYMAT.
    let (ca, cb) = (child_ups(&p.a), child_ups(&p.b));
    assert_eq!(ca.len(), 1);
    assert_eq!(cb.len(), 1);
    assert_eq!(ca[0].0, cb[0].1);
    assert_eq!(ca[0].1, cb[0].0);
    assert_eq!(ca[0].2, cb[0].2);
    assert_eq!(ca[0].3, cb[0].3);
    assert_eq!(ca[0].2.len(), 20, "AES-GCM-128 ESP key + salt");
    // Wire: exactly IKE_SA_INIT and IKE_AUTH, two messages each way.
    let sent_a = p.sent_by(true);
    assert_eq!(sent_a.len(), 2);
    assert_eq!(sent_a[0].header.exchange_type, ExchangeType::IkeSaInit);
    let types: Vec<PayloadType> = sent_a[0]
        .payloads
        .iter()
        .map(Payload::payload_type)
        .collect();
    assert_eq!(
        types,
        vec![
            PayloadType::SecurityAssociation,
            PayloadType::KeyExchange,
            PayloadType::Nonce,
            PayloadType::Notify,
            PayloadType::Notify,
            PayloadType::Notify,
            PayloadType::Notify
        ]
    );
    let notifies: Vec<_> = sent_a[0]
        .payloads
        .iter()
        .filter_map(|p| match p {
            Payload::Notify(n) => Some(n.notify_type),
            _ => None,
        })
        .collect();
    assert_eq!(
        notifies,
        vec![
            NotifyType::NatDetectionSourceIp,
            NotifyType::NatDetectionDestinationIp,
            NotifyType::Ikev2FragmentationSupported,
            NotifyType::ChildlessIkev2Supported
        ]
    );
    assert_eq!(sent_a[1].header.exchange_type, ExchangeType::IkeAuth);
    assert_eq!(sent_a[1].header.message_id, 1);
    assert!(matches!(
        sent_a[1].payloads.as_slice(),
        [Payload::Encrypted(_)]
    ));
    // Flags: the initiator sets I, the responder sets R only.
    assert!(
        sent_a
            .iter()
            .all(|m| m.header.flags.is_initiator() && !m.header.flags.is_response())
    );
    assert!(
        p.sent_by(false)
            .iter()
            .all(|m| !m.header.flags.is_initiator() && m.header.flags.is_response())
    );
}

#[test]
fn psk_setup_cbc_hmac_ecp256() {
    let mut p = setup(vec![suite_cbc()], vec![suite_cbc()]);
    p.drive_until_established(Duration::from_secs(5));
    assert_eq!(
        p.a.ep.list()[0].proposal,
        "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"
    );
}

#[test]
fn responder_picks_first_acceptable_of_several_proposals() {
    let mut gcm_then_cbc = vec![suite_gcm(), suite_cbc()];
    gcm_then_cbc[0].dh.push(ike_crypto::DhAlg::Ecp256);
    let mut p = setup(gcm_then_cbc, vec![suite_cbc()]);
    p.drive_until_established(Duration::from_secs(5));
    assert_eq!(
        p.b.ep.list()[0].proposal,
        "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"
    );
}

#[test]
fn invalid_ke_payload_makes_initiator_retry_with_the_requested_group() {
    let mut a_prop = suite_gcm();
    a_prop.dh = vec![ike_crypto::DhAlg::Curve25519, ike_crypto::DhAlg::Ecp256];
    let mut b_prop = suite_gcm();
    b_prop.dh = vec![ike_crypto::DhAlg::Ecp256];
    let mut p = setup(vec![a_prop], vec![b_prop]);
    p.drive_until_established(Duration::from_secs(5));
    let b_sent = p.sent_by(false);
    let n = b_sent[0]
        .find_notify(NotifyType::InvalidKePayload)
        .expect("INVALID_KE_PAYLOAD first");
    assert_eq!(n.data, vec![0, 19], "responder asks for ECP-256");
    assert_eq!(b_sent[0].header.spi_r, [0; 8]);
    let a_sent = p.sent_by(true);
    assert_eq!(a_sent[1].header.exchange_type, ExchangeType::IkeSaInit);
    assert_eq!(a_sent[1].header.message_id, 0);
    let ke = a_sent[1]
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Ke(k) => Some(k),
            _ => None,
        })
        .unwrap();
    assert_eq!(ke.group, ike_wire::DhGroup::Ecp256);
    assert_eq!(ke.data.len(), 64);
    assert_eq!(
        p.a.ep.list()[0].proposal,
        "AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256"
    );
}

#[test]
fn no_common_proposal_fails_with_no_proposal_chosen() {
    let mut p = setup(vec![suite_gcm()], vec![suite_cbc()]);
    p.drive_for(Duration::from_secs(5));
    assert_eq!(
        closed_reasons(&p.a),
        vec![SaError::PeerError(NotifyType::NoProposalChosen)]
    );
    assert_eq!(p.b.ep.sa_count(), 0, "responder keeps no state");
}

#[test]
fn cookie_challenge_under_load_then_setup_completes() {
    let (a, b) = default_conns();
    let b_cfg = ike_proto::EndpointConfig {
        cookie_threshold: 0,
        ..test_endpoint_config()
    };
    let mut p = Pair::with_config(2, a, b, test_endpoint_config(), b_cfg);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    let b_sent = p.sent_by(false);
    let cookie = b_sent[0]
        .find_notify(NotifyType::Cookie)
        .expect("first response is a COOKIE challenge");
    assert_eq!(b_sent[0].payloads.len(), 1);
    let a_sent = p.sent_by(true);
    match &a_sent[1].payloads[0] {
        Payload::Notify(n) => {
            assert_eq!(n.notify_type, NotifyType::Cookie);
            assert_eq!(n.data, cookie.data, "cookie echoed as the first payload");
        }
        other => panic!("first payload of retry is {other:?}"),
    }
    assert_eq!(p.b.ep.stats().cookies_sent, 1);
}

#[test]
fn lost_auth_response_is_retransmitted_from_the_response_cache() {
    let mut p = setup(vec![suite_gcm()], vec![suite_gcm()]);
    // b sends: IKE_SA_INIT response, then the IKE_AUTH response — lose the latter once.
    p.step();
    p.step();
    p.drop_next_from_b = 0;
    // Deliver IKE_SA_INIT request/response, then arrange to lose b's next datagram.
    while p.sent_by(false).is_empty() {
        p.step();
    }
    p.drop_next_from_b = 1;
    p.drive_until_established(Duration::from_secs(10));
    let a_auth: Vec<_> = p
        .sent_by(true)
        .into_iter()
        .filter(|m| m.header.exchange_type == ExchangeType::IkeAuth)
        .collect();
    let b_auth: Vec<_> = p
        .wire
        .iter()
        .filter(|(a, _)| !*a)
        .map(|(_, pkt)| pkt.bytes.clone())
        .skip(1)
        .collect();
    assert_eq!(a_auth.len(), 2, "initiator retransmitted IKE_AUTH once");
    assert_eq!(
        a_auth[0].emit(),
        a_auth[1].emit(),
        "retransmission is bitwise identical"
    );
    assert_eq!(b_auth.len(), 2);
    assert_eq!(b_auth[0], b_auth[1], "responder resent its cached response");
    assert_eq!(
        p.b.events
            .iter()
            .filter(|e| matches!(e, Event::Established { .. }))
            .count(),
        1
    );
}

#[test]
fn unreachable_peer_gives_up_after_exponential_backoff() {
    let mut p = setup(vec![suite_gcm()], vec![suite_gcm()]);
    p.cut = true;
    p.drive_for(Duration::from_secs(600));
    assert_eq!(closed_reasons(&p.a), vec![SaError::Timeout]);
    let times: Vec<_> = p
        .wire
        .iter()
        .filter(|(a, _)| *a)
        .map(|(_, pkt)| pkt.deliver_at)
        .collect();
    let cfg = test_endpoint_config();
    assert_eq!(times.len() as u32, cfg.retransmit_tries + 1);
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    assert!(
        (gaps[0] - cfg.retransmit_timeout.as_secs_f64()).abs() < 1e-3,
        "{gaps:?}"
    );
    for w in gaps.windows(2) {
        assert!((w[1] / w[0] - cfg.retransmit_base).abs() < 1e-3, "{gaps:?}");
    }
}

#[test]
fn wrong_psk_is_answered_with_authentication_failed_and_nothing_survives() {
    let (a, mut b) = default_conns();
    b.remote_auth = ike_proto::AuthConfig::Psk(std::sync::Arc::new(
        ike_crypto::SecretBytes::from_slice(b"another key"),
    ));
    let mut p = Pair::new(3, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_eq!(
        closed_reasons(&p.a),
        vec![SaError::PeerError(NotifyType::AuthenticationFailed)]
    );
    assert!(matches!(
        closed_reasons(&p.b).as_slice(),
        [SaError::Protocol(_)]
    ));
    assert_eq!(p.a.ep.sa_count(), 0);
    assert_eq!(p.b.ep.sa_count(), 0);
}

#[test]
fn wrong_remote_identity_fails_on_initiator() {
    let (mut a, b) = default_conns();
    a.remote_id = Some(ike_proto::Identity::parse("someone-else.example").unwrap());
    let mut p = Pair::new(4, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    // The responder does not match IDr = someone-else → AUTHENTICATION_FAILED.
    assert_eq!(
        closed_reasons(&p.a),
        vec![SaError::PeerError(NotifyType::AuthenticationFailed)]
    );
}

#[test]
fn traffic_selectors_are_narrowed_and_unacceptable_ones_keep_the_ike_sa() {
    let (mut a, mut b) = default_conns();
    a.children[0].local_ts = vec![ts("10.1.0.0/16")];
    a.children[0].remote_ts = vec![ts("10.0.0.0/8")];
    b.children[0].local_ts = vec![ts("10.2.0.0/16")];
    b.children[0].remote_ts = vec![ts("10.1.2.0/24")];
    let mut p = Pair::new(5, a.clone(), b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    let c = &p.a.ep.list()[0].children[0];
    assert_eq!(c.local_ts, vec!["10.1.2.0..10.1.2.255"]);
    assert_eq!(c.remote_ts, vec!["10.2.0.0..10.2.255.255"]);
    assert_eq!(c.mode, ChildMode::Tunnel);

    let (_, mut b2) = default_conns();
    b2.children[0].local_ts = vec![ts("192.168.0.0/16")];
    let mut p = Pair::new(6, a, b2);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    assert!(p.a.ep.list()[0].children.is_empty(), "child refused");
    assert_eq!(
        p.a.ep.list()[0].state,
        SaState::Established,
        "IKE SA stays up"
    );
}

#[test]
fn transport_mode_when_both_sides_ask() {
    let (mut a, mut b) = default_conns();
    a.children[0].mode = ChildMode::Transport;
    b.children[0].mode = ChildMode::Transport;
    let mut p = Pair::new(7, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    assert_eq!(p.a.ep.list()[0].children[0].mode, ChildMode::Transport);
    assert_eq!(p.b.ep.list()[0].children[0].mode, ChildMode::Transport);
}

#[test]
fn terminate_deletes_the_sa_on_both_sides() {
    let mut p = setup(vec![suite_gcm()], vec![suite_gcm()]);
    p.drive_until_established(Duration::from_secs(5));
    p.a.ep.terminate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_eq!(closed_reasons(&p.a), vec![SaError::LocalClose]);
    assert_eq!(closed_reasons(&p.b), vec![SaError::PeerDeleted]);
    assert_eq!(p.a.ep.sa_count() + p.b.ep.sa_count(), 0);
    let last = p.sent_by(true).pop().unwrap();
    assert_eq!(last.header.exchange_type, ExchangeType::Informational);
}

#[test]
fn dead_peer_is_detected_by_liveness_checks() {
    let (mut a, b) = default_conns();
    a.dpd_delay = Duration::from_secs(30);
    let mut p = Pair::new(8, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    // One successful DPD round trip while the link is up.
    p.drive_for(Duration::from_secs(31));
    assert!(
        p.a.events
            .iter()
            .all(|e| !matches!(e, Event::Closed { .. }))
    );
    p.cut = true;
    let cut_at = p.now;
    while closed_reasons(&p.a).is_empty() && p.now - cut_at < Duration::from_secs(600) {
        p.drive_for(Duration::from_secs(1));
    }
    assert_eq!(closed_reasons(&p.a), vec![SaError::DeadPeer]);
    // dpd_delay (30 s) + backoff 0.5 s × (1 + 1.8 + … + 1.8^5) ≈ 30 + 21 s.
    let took = p.now - cut_at;
    assert!(
        took > Duration::from_secs(45) && took < Duration::from_secs(55),
        "took {took:?}"
    );
}

#[test]
fn setup_survives_loss_duplication_and_reordering() {
    for seed in 0..100 {
        let (a, b) = default_conns();
        let mut p = Pair::new(1000 + seed, a, b);
        p.faults = Faults {
            loss: 0.2,
            duplicate: 0.2,
            reorder: 0.2,
            corrupt: 0.0,
        };
        p.a.ep.initiate(p.now, "home").unwrap();
        p.drive_until_established(Duration::from_secs(120));
        assert_eq!(
            p.a.ep.list().len(),
            1,
            "seed {seed}: exactly one SA on the initiator"
        );
        assert_eq!(
            p.b.ep
                .list()
                .iter()
                .filter(|s| s.state == SaState::Established)
                .count(),
            1,
            "seed {seed}"
        );
    }
}

#[test]
fn corrupted_datagrams_never_break_the_handshake() {
    for seed in 0..50 {
        let (a, b) = default_conns();
        let mut p = Pair::new(5000 + seed, a, b);
        p.faults = Faults {
            corrupt: 0.3,
            ..Faults::default()
        };
        p.a.ep.initiate(p.now, "home").unwrap();
        p.drive_for(Duration::from_secs(60));
        // Either established or timed out cleanly; never a panic, never two SAs.
        assert!(p.a.ep.list().len() <= 1);
    }
}

#[test]
fn key_export_matches_on_both_sides_and_is_off_by_default() {
    let (a, b) = default_conns();
    let cfg = ike_proto::EndpointConfig {
        export_keys: true,
        ..test_endpoint_config()
    };
    let mut p = Pair::with_config(9, a.clone(), b.clone(), cfg.clone(), cfg);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    let (sa_a, sa_b) = (p.a.ep.list()[0].clone(), p.b.ep.list()[0].clone());
    let la = p.a.ep.key_export(&sa_a.spi_i).unwrap().wireshark_line();
    let lb = p.b.ep.key_export(&sa_b.spi_r).unwrap().wireshark_line();
    assert_eq!(la, lb);
    assert!(
        la.ends_with(",\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\""),
        "{la}"
    );
    assert!(format!("{:?}", p.a.ep.key_export(&sa_a.spi_i).unwrap()).len() < 60);
    let mut p = Pair::new(9, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    assert!(p.a.ep.key_export(&p.a.ep.list()[0].spi_i).is_none());
}

#[test]
fn childless_ike_sa_when_no_child_is_configured() {
    // RFC 6023: both sides announce CHILDLESS_IKEV2_SUPPORTED; an initiator without children
    // sends IKE_AUTH without SA/TS and gets an IKE SA only.
    let (mut a, b) = default_conns();
    a.children.clear();
    let mut p = Pair::new(31, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    assert!(
        p.sent_by(false)[0]
            .find_notify(NotifyType::ChildlessIkev2Supported)
            .is_some()
    );
    assert!(p.a.ep.list()[0].children.is_empty());
    assert!(p.b.ep.list()[0].children.is_empty());
}

#[test]
fn initial_contact_replaces_the_peers_older_sa_only() {
    // The client reboots (loses its SA) and connects again: its IKE_AUTH carries INITIAL_CONTACT,
    // so the gateway drops the older SA of the same identity (RFC 7296 §2.4).
    let mut p = setup(vec![suite_gcm()], vec![suite_gcm()]);
    p.drive_until_established(Duration::from_secs(5));
    let old = p.b.ep.list()[0].spi_r;
    let (a, _) = default_conns();
    let mut rebooted =
        ike_proto::Endpoint::new(test_endpoint_config(), [77; 32], p.now, 1_790_000_000);
    rebooted.set_connections(vec![a]).unwrap();
    p.a.ep = rebooted;
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    let gw = p.b.ep.list();
    assert_eq!(gw.len(), 1, "{gw:?}");
    assert_ne!(gw[0].spi_r, old);
    assert!(p.b.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::InitialContact,
            ..
        }
    )));
}

#[test]
fn higher_major_version_gets_invalid_major_version() {
    let (a, b) = default_conns();
    let mut p = Pair::new(41, a, b);
    let mut req = ike_wire::Message {
        header: ike_wire::IkeHeader::new(
            [3; 8],
            [0; 8],
            ExchangeType::IkeSaInit,
            ike_wire::Flags::new(true, false),
            0,
        ),
        payloads: vec![Payload::Notify(ike_wire::NotifyPayload::status(
            NotifyType::InitialContact,
        ))],
    }
    .emit();
    req[17] = 0x30; // IKE major version 3
    p.inject(false, &req);
    p.drive_for(Duration::from_secs(1));
    let resp = p.sent_by(false);
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].header.major_version, 2);
    assert_eq!(resp[0].header.spi_i, [3; 8]);
    assert!(resp[0].header.flags.is_response());
    assert!(
        resp[0]
            .find_notify(NotifyType::InvalidMajorVersion)
            .is_some()
    );
    assert_eq!(p.b.ep.sa_count(), 0);
    // A response with a higher version is never answered.
    req[19] |= 0x20;
    p.inject(false, &req);
    p.drive_for(Duration::from_secs(1));
    assert_eq!(p.sent_by(false).len(), 1);
}
