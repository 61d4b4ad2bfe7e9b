//! RFC 5723 session resumption in the simulated network. Tests are named after the rows of
//! `rfc5723-conformance.md` §F.1 (`f1_NN`) and §F.2 (`p_N`) they check.

mod common;

use std::time::Duration;

use common::*;
use ike_proto::{Event, SaError, SaState};
use ike_wire::{ExchangeType, NotifyType, Payload};

const SECS: Duration = Duration::from_secs(5);

/// Client "home" on a, gateway "gw" on b, both with ticket keys; established.
fn pair(seed: u64) -> Pair {
    let (a, b) = default_conns();
    pair_with(seed, a, b)
}

fn pair_with(seed: u64, a: ike_proto::ConnectionConfig, b: ike_proto::ConnectionConfig) -> Pair {
    let mut p = Pair::new(seed, a, b);
    give_ticket_keys(&mut p, 3600);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    p
}

fn give_ticket_keys(p: &mut Pair, rotation: u64) {
    use rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(99);
    let ring = ike_proto::ticket::TicketKeyRing::generate(1_790_000_000, rotation, &mut rng);
    p.b.ep.set_ticket_keys(ring);
}

fn notify_types(payloads: &[Payload]) -> Vec<NotifyType> {
    payloads
        .iter()
        .filter_map(|p| match p {
            Payload::Notify(n) => Some(n.notify_type),
            _ => None,
        })
        .collect()
}

fn ticket_notifies(payloads: &[Payload]) -> Vec<NotifyType> {
    notify_types(payloads)
        .into_iter()
        .filter(|t| {
            matches!(
                t,
                NotifyType::TicketLtOpaque | NotifyType::TicketAck | NotifyType::TicketNack
            )
        })
        .collect()
}

/// Decrypted payloads of the first message matching.
fn decrypted(p: &Pair, from_a: bool, x: ExchangeType, response: bool) -> Vec<Vec<Payload>> {
    p.decrypted
        .iter()
        .filter(|d| d.0 == from_a && d.1 == x && d.3 == response)
        .map(|d| d.4.clone())
        .collect()
}

fn suspend_and_resume(p: &mut Pair) {
    p.a.ep.suspend(p.now, "home").unwrap();
    p.drive_for(Duration::from_millis(100));
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
}

fn established_resumed(n: &Node) -> bool {
    n.ep.list()
        .iter()
        .any(|s| s.state == SaState::Established && s.resumed)
}

#[test]
fn rfc5723_f1_01_ticket_issued_in_ike_auth() {
    let p = pair(1);
    let sa = &p.a.ep.list()[0];
    assert!(
        sa.ticket_expires.is_some(),
        "client holds a ticket after IKE_AUTH"
    );
    let req = &decrypted(&p, true, ExchangeType::IkeAuth, false)[0];
    assert!(
        notify_types(req).contains(&NotifyType::TicketRequest),
        "TICKET_REQUEST in the first IKE_AUTH request"
    );
}

#[test]
fn rfc5723_f1_01_ticket_renewed_by_informational() {
    let mut p = pair(2);
    let first = p.a.ep.list()[0].ticket_expires.unwrap();
    p.drive_for(Duration::from_secs(10));
    p.a.ep.request_ticket(p.now, "home").unwrap();
    p.drive_for(SECS);
    let info_req = decrypted(&p, true, ExchangeType::Informational, false);
    assert_eq!(notify_types(&info_req[0]), vec![NotifyType::TicketRequest]);
    let info_resp = decrypted(&p, false, ExchangeType::Informational, true);
    assert_eq!(
        ticket_notifies(&info_resp[0]),
        vec![NotifyType::TicketLtOpaque]
    );
    assert!(
        p.a.ep.list()[0].ticket_expires.unwrap() > first,
        "the renewed ticket expires later"
    );
}

#[test]
fn rfc5723_f1_01_and_f1_40_client_ike_rekey_carries_ticket_request() {
    let mut p = pair(3);
    p.a.ep.rekey_ike(p.now, "home").unwrap();
    p.drive_for(SECS);
    let req = decrypted(&p, true, ExchangeType::CreateChildSa, false);
    assert!(notify_types(&req[0]).contains(&NotifyType::TicketRequest));
    let resp = decrypted(&p, false, ExchangeType::CreateChildSa, true);
    assert_eq!(ticket_notifies(&resp[0]), vec![NotifyType::TicketLtOpaque]);
    let l = p.a.ep.list();
    assert_eq!(l.len(), 1);
    assert!(
        l[0].ticket_expires.is_some(),
        "the new SA holds the ticket issued for it"
    );
    // The ticket describes the new SA: suspend and resume works.
    suspend_and_resume(&mut p);
    assert!(established_resumed(&p.a));
}

#[test]
fn rfc5723_f1_40_gateway_ike_rekey_makes_the_client_ask_by_informational() {
    let mut p = pair(4);
    p.b.ep.rekey_ike(p.now, "gw").unwrap();
    p.drive_for(SECS);
    let info = decrypted(&p, true, ExchangeType::Informational, false);
    assert!(
        info.iter()
            .any(|m| notify_types(m) == vec![NotifyType::TicketRequest]),
        "client asked for a fresh ticket"
    );
    suspend_and_resume(&mut p);
    assert!(established_resumed(&p.a));
}

#[test]
fn rfc5723_f1_01_ticket_issued_in_the_ike_auth_after_a_resume() {
    let mut p = pair(5);
    let first = p.a.ep.list()[0].ticket_expires;
    p.drive_for(Duration::from_secs(30));
    suspend_and_resume(&mut p);
    let resumed = p.a.ep.list()[0].clone();
    assert!(resumed.resumed);
    assert!(
        resumed.ticket_expires.is_some() && resumed.ticket_expires > first,
        "fresh ticket after resume"
    );
}

#[test]
fn rfc5723_f1_03_and_f1_05_exactly_one_ticket_notify_and_a_normal_ike_auth_response() {
    for issue in [true, false] {
        let (a, mut b) = default_conns();
        b.resumption.issue_tickets = issue;
        let p = pair_with(6, a, b);
        let resp = &decrypted(&p, false, ExchangeType::IkeAuth, true)[0];
        let want = if issue {
            NotifyType::TicketLtOpaque
        } else {
            NotifyType::TicketNack
        };
        assert_eq!(ticket_notifies(resp), vec![want]);
        let kinds: Vec<_> = resp.iter().map(Payload::payload_type).collect();
        for k in [
            ike_wire::PayloadType::IdResponder,
            ike_wire::PayloadType::Authentication,
            ike_wire::PayloadType::SecurityAssociation,
            ike_wire::PayloadType::TsInitiator,
            ike_wire::PayloadType::TsResponder,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing with issue={issue}");
        }
        assert_eq!(p.a.ep.list()[0].ticket_expires.is_some(), issue);
        assert_eq!(p.a.ep.list()[0].state, SaState::Established);
    }
}

#[test]
fn rfc5723_f1_08_suspended_session_holds_everything_needed() {
    let mut p = pair(7);
    let s = p.a.ep.suspend(p.now, "home").unwrap();
    assert_eq!(s.connection, "home");
    assert!(!s.ticket.is_empty());
    assert_eq!(s.sk_d.len(), 32);
    assert_eq!(s.id_i.display(), "client.example");
    assert_eq!(s.id_r.display(), "gw.example");
    assert_eq!(s.peer, format!("{B_IP}:500").parse().unwrap());
    let debug = format!("{s:?}");
    assert!(
        !debug.contains(&format!("{:?}", &s.sk_d.expose()[..4])),
        "Debug leaks SK_d: {debug}"
    );
    // The IKE SA is gone on the client; the gateway was told nothing.
    assert!(p.a.ep.list().is_empty());
    let wire_before = p.wire.len();
    p.drive_for(SECS);
    assert_eq!(p.wire.len(), wire_before, "nothing sent on suspend");
    assert!(
        p.a.events
            .iter()
            .any(|e| matches!(e, Event::Suspended { .. }))
    );
    assert!(
        p.a.events
            .iter()
            .any(|e| matches!(e, Event::ChildDown { .. }))
    );
    assert_eq!(p.b.ep.list().len(), 1, "gateway still has the old SA");
}

#[test]
fn rfc5723_f1_08_resume_from_an_encoded_session_after_client_restart() {
    let mut p = pair(8);
    let bytes = p.a.ep.suspend(p.now, "home").unwrap().encode();
    // A "restarted" client: a new endpoint with the same connections and the decoded session.
    let (a_conn, _) = default_conns();
    let mut fresh =
        ike_proto::Endpoint::new(test_endpoint_config(), [42; 32], p.now, 1_790_000_000);
    fresh.set_connections(vec![a_conn]).unwrap();
    fresh.insert_suspended(ike_proto::suspend::SuspendedSession::decode(bytes.expose()).unwrap());
    p.a.ep = fresh;
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(established_resumed(&p.a));
}

#[test]
fn rfc5723_f1_10_expired_ticket_is_not_presented() {
    let (mut a, mut b) = default_conns();
    a.resumption.ticket_lifetime = Duration::from_secs(60);
    b.resumption.ticket_lifetime = Duration::from_secs(60);
    let mut p = pair_with(9, a, b);
    p.a.ep.suspend(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(61));
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(
        p.sent_of(true, ExchangeType::IkeSessionResume).is_empty(),
        "no exchange 38 with an expired ticket"
    );
    assert_eq!(
        p.sent_of(true, ExchangeType::IkeSaInit).len(),
        2,
        "a second full IKE_SA_INIT instead"
    );
}

#[test]
fn rfc5723_f1_11_a_used_ticket_is_gone_from_the_client() {
    let mut p = pair(10);
    let old_ticket = p.a.ep.suspend(p.now, "home").unwrap().ticket.clone();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(p.a.ep.suspended_sessions().next().is_none());
    assert!(matches!(
        p.a.ep.resume(p.now, "home"),
        Err(ike_proto::CommandError::NotSuspended(_))
    ));
    let new_ticket = p.a.ep.suspend(p.now, "home").unwrap().ticket.clone();
    assert_ne!(
        old_ticket, new_ticket,
        "the next suspend holds the new ticket"
    );
}

#[test]
fn rfc5723_f1_12_and_f1_52_replayed_ticket_is_refused() {
    let mut p = pair(11);
    suspend_and_resume(&mut p);
    let replay = p
        .raw_of(true, ExchangeType::IkeSessionResume)
        .pop()
        .unwrap();
    let before = p.b.ep.sa_count();
    p.drive_for(Duration::from_secs(60)); // the half-open entry of the first use is long gone
    p.inject(false, &replay);
    p.drive_for(SECS);
    let nack = p
        .sent_of(false, ExchangeType::IkeSessionResume)
        .pop()
        .unwrap();
    assert_eq!(notify_types(&nack.payloads), vec![NotifyType::TicketNack]);
    assert_eq!(p.b.ep.sa_count(), before, "no state for the replay");
    assert_eq!(p.b.ep.stats().tickets_refused, 1);
    assert_eq!(p.b.ep.used_tickets(), 1);
}

#[test]
fn rfc5723_f1_15_and_f1_30_damaged_tickets_get_an_unprotected_nack_and_no_state() {
    let mut p = pair(12);
    let ticket_len = p.a.ep.suspend(p.now, "home").unwrap().ticket.len();
    let mut s = p.a.ep.take_suspended("home").unwrap();
    p.drive_for(SECS);
    let gw_sas = p.b.ep.sa_count();
    let positions = [
        0usize,
        1,
        4,
        11,
        12,
        23,
        24,
        ticket_len / 2,
        ticket_len - 17,
        ticket_len - 1,
    ];
    for (n, pos) in positions.iter().enumerate() {
        let mut bad = s.ticket.clone();
        bad[*pos] ^= 0x01;
        let mut session =
            ike_proto::suspend::SuspendedSession::decode(s.encode().expose()).unwrap();
        session.ticket = bad;
        p.a.ep.insert_suspended(session);
        p.a.ep.resume(p.now, "home").unwrap();
        p.drive_until_established(SECS);
        assert_eq!(
            p.b.ep.stats().tickets_refused,
            n as u64 + 1,
            "flip at {pos} refused"
        );
        let nack = p
            .sent_of(false, ExchangeType::IkeSessionResume)
            .pop()
            .unwrap();
        assert_eq!(nack.payloads.len(), 1);
        assert_eq!(nack.header.spi_r, [0; 8]);
        assert!(nack.header.flags.is_response());
        p.a.ep.terminate(p.now, "home").unwrap();
        p.drive_for(SECS);
    }
    // Truncated and oversized tickets, too.
    for bad in [s.ticket[..20].to_vec(), vec![0xAB; 2000]] {
        s.ticket = bad;
        let session = ike_proto::suspend::SuspendedSession::decode(s.encode().expose()).unwrap();
        p.a.ep.insert_suspended(session);
        p.a.ep.resume(p.now, "home").unwrap();
        p.drive_until_established(SECS);
        p.a.ep.terminate(p.now, "home").unwrap();
        p.drive_for(SECS);
    }
    assert_eq!(p.b.ep.stats().tickets_refused, positions.len() as u64 + 2);
    assert!(p.b.ep.sa_count() <= gw_sas, "refusals keep no state");
}

#[test]
fn rfc5723_f1_18_cookie_challenge_on_resume() {
    let (a, b) = default_conns();
    let b_cfg = ike_proto::EndpointConfig {
        cookie_threshold: 0,
        ..test_endpoint_config()
    };
    let mut p = Pair::with_config(13, a, b, test_endpoint_config(), b_cfg);
    give_ticket_keys(&mut p, 3600);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    suspend_and_resume(&mut p);
    let reqs = p.sent_of(true, ExchangeType::IkeSessionResume);
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        notify_types(&p.sent_of(false, ExchangeType::IkeSessionResume)[0].payloads),
        vec![NotifyType::Cookie]
    );
    assert!(
        matches!(&reqs[1].payloads[0], Payload::Notify(n) if n.notify_type == NotifyType::Cookie)
    );
    assert_eq!(
        reqs[0].payloads[..],
        reqs[1].payloads[1..],
        "same Ni and ticket after the cookie"
    );
    assert_eq!(reqs[1].header.message_id, 0);
    assert!(established_resumed(&p.a));
}

#[test]
fn rfc5723_f1_19_p1_p2_p3_p4_p6_resume_messages_on_the_wire() {
    let mut p = pair(14);
    let old = p.a.ep.list()[0].clone();
    suspend_and_resume(&mut p);
    let req = &p.sent_of(true, ExchangeType::IkeSessionResume)[0];
    let resp = &p.sent_of(false, ExchangeType::IkeSessionResume)[0];
    assert_eq!(req.header.spi_r, [0; 8]);
    assert_ne!(req.header.spi_i, [0; 8]);
    assert_eq!(req.header.message_id, 0);
    assert!(req.header.flags.is_initiator() && !req.header.flags.is_response());
    assert_eq!(resp.header.spi_i, req.header.spi_i);
    assert_ne!(resp.header.spi_r, [0; 8]);
    assert!(resp.header.flags.is_response() && !resp.header.flags.is_initiator());
    let kinds = |m: &ike_wire::Message| {
        m.payloads
            .iter()
            .map(Payload::payload_type)
            .collect::<Vec<_>>()
    };
    use ike_wire::PayloadType as P;
    assert_eq!(
        kinds(req),
        vec![P::Nonce, P::Notify, P::Notify, P::Notify, P::Notify]
    );
    assert_eq!(
        notify_types(&req.payloads),
        vec![
            NotifyType::TicketOpaque,
            NotifyType::NatDetectionSourceIp,
            NotifyType::NatDetectionDestinationIp,
            NotifyType::Ikev2FragmentationSupported
        ]
    );
    assert_eq!(kinds(resp), vec![P::Nonce, P::Notify, P::Notify, P::Notify]);
    assert_eq!(
        notify_types(&resp.payloads),
        vec![
            NotifyType::NatDetectionSourceIp,
            NotifyType::NatDetectionDestinationIp,
            NotifyType::Ikev2FragmentationSupported
        ]
    );
    // f1_20 / p4: IKE_AUTH with MID 1 follows at once; f1_28: new SPIs.
    let auth = p.sent_of(true, ExchangeType::IkeAuth).pop().unwrap();
    assert_eq!(auth.header.message_id, 1);
    assert_eq!(auth.header.spi_i, req.header.spi_i);
    let new = p.a.ep.list()[0].clone();
    assert_ne!(new.spi_i, old.spi_i);
    assert_ne!(new.spi_r, old.spi_r);
}

#[test]
fn rfc5723_f1_21_and_f1_23_identities_must_match_the_ticket() {
    for (tamper_i, seed) in [(true, 15), (false, 16)] {
        let mut p = pair(seed);
        p.a.ep.suspend(p.now, "home").unwrap();
        let mut s = p.a.ep.take_suspended("home").unwrap();
        if tamper_i {
            s.id_i = ike_proto::Identity::parse("mallory.example").unwrap();
        } else {
            s.id_r = ike_proto::Identity::parse("other-gw.example").unwrap();
        }
        p.a.ep.insert_suspended(s);
        p.a.ep.resume(p.now, "home").unwrap();
        p.drive_for(SECS);
        let resp = decrypted(&p, false, ExchangeType::IkeAuth, true)
            .into_iter()
            .find(|r| notify_types(r).contains(&NotifyType::AuthenticationFailed))
            .unwrap();
        assert_eq!(
            notify_types(&resp),
            vec![NotifyType::AuthenticationFailed],
            "protected AUTHENTICATION_FAILED"
        );
        assert_eq!(
            p.b.ep.used_tickets(),
            0,
            "a failed resume does not burn the ticket"
        );
    }
}

#[test]
fn rfc5723_f1_22_resumed_ike_auth_carries_no_certificate() {
    let mut p = pair(17);
    suspend_and_resume(&mut p);
    let req = decrypted(&p, true, ExchangeType::IkeAuth, false)
        .pop()
        .unwrap();
    assert!(
        !req.iter()
            .any(|x| matches!(x, Payload::Cert(_) | Payload::CertReq(_)))
    );
    let auth = req
        .iter()
        .find_map(|x| match x {
            Payload::Auth(a) => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        auth.method,
        ike_wire::AuthMethod::SharedKeyMic,
        "p9: method 2"
    );
    assert_eq!(auth.data.len(), 32, "prf output length");
    assert!(!notify_types(&req).contains(&NotifyType::InitialContact));
}

#[test]
fn rfc5723_f1_24_and_f1_27_old_sa_deleted_silently_on_the_gateway() {
    let mut p = pair(18);
    let old = p.b.ep.list()[0].clone();
    let wire_before = p.wire.len();
    suspend_and_resume(&mut p);
    let l = p.b.ep.list();
    assert_eq!(l.len(), 1);
    assert_ne!(l[0].spi_i, old.spi_i);
    assert!(p.b.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::Resumed,
            ..
        }
    )));
    let infos = p.wire[wire_before..]
        .iter()
        .filter_map(|(_, pk)| match ike_proto::transmit::classify(&pk.bytes) {
            ike_proto::transmit::Datagram::Ike(b) => ike_wire::Message::parse(b).ok(),
            _ => None,
        })
        .filter(|m| m.header.exchange_type == ExchangeType::Informational)
        .count();
    assert_eq!(infos, 0, "no Delete on the wire");
}

#[test]
fn rfc5723_f1_35_f1_37_ticket_survives_one_key_rotation_not_two() {
    let (a, b) = default_conns();
    let mut p = Pair::new(19, a, b);
    give_ticket_keys(&mut p, 600);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    p.a.ep.suspend(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(700)); // one rotation: previous key still opens
    assert!(
        p.b.events
            .iter()
            .any(|e| matches!(e, Event::TicketKeysRotated))
    );
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(
        established_resumed(&p.a),
        "ticket under the previous key resumes"
    );
    p.a.ep.suspend(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(1300)); // two more rotations
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(
        !established_resumed(&p.a),
        "the key is gone; fallback to a full handshake"
    );
    assert_eq!(p.b.ep.stats().tickets_refused, 1);
}

#[test]
fn rfc5723_f1_38_terminate_drops_the_ticket() {
    let mut p = pair(20);
    p.a.ep.terminate(p.now, "home").unwrap();
    p.drive_for(SECS);
    assert!(matches!(
        p.a.ep.suspend(p.now, "home"),
        Err(ike_proto::CommandError::NoSa(_))
    ));
    assert!(p.a.ep.suspended_sessions().next().is_none());
}

#[test]
fn rfc5723_f1_42_ticket_lifetime_is_finite_and_capped() {
    let (a, mut b) = default_conns();
    b.resumption.ticket_lifetime = Duration::from_secs(1234);
    let p = pair_with(21, a, b);
    let resp = &decrypted(&p, false, ExchangeType::IkeAuth, true)[0];
    let lt = resp
        .iter()
        .find_map(|x| match x {
            Payload::Notify(n) if n.notify_type == NotifyType::TicketLtOpaque => {
                Some(ike_wire::TicketLtOpaque::parse(&n.data).unwrap())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        lt.lifetime, 1234,
        "p13: relative seconds, capped by configuration"
    );
    assert!(
        lt.ticket.len() <= 256,
        "ticket is {} bytes",
        lt.ticket.len()
    );
    assert!(
        !lt.ticket
            .windows(b"client.example".len())
            .any(|w| w == b"client.example"),
        "f1_51: no IDs in clear"
    );
}

#[test]
fn rfc5723_f1_47_forged_messages_do_not_trigger_resumption_but_dpd_does() {
    let (mut a, b) = default_conns();
    a.dpd_delay = Duration::from_secs(30);
    let mut p = pair_with(22, a, b);
    let sa = p.a.ep.list()[0].clone();
    // A forged, unprotected INFORMATIONAL INVALID_IKE_SPI for the client's SA.
    let forged = ike_wire::Message {
        header: ike_wire::IkeHeader::new(
            sa.spi_i,
            sa.spi_r,
            ExchangeType::Informational,
            ike_wire::Flags::new(false, false),
            7,
        ),
        payloads: vec![Payload::Notify(ike_wire::NotifyPayload::status(
            NotifyType::InvalidIkeSpi,
        ))],
    }
    .emit();
    p.inject(true, &forged);
    p.drive_for(SECS);
    assert!(p.sent_of(true, ExchangeType::IkeSessionResume).is_empty());
    assert_eq!(p.a.ep.list()[0].spi_i, sa.spi_i, "SA untouched");
    // Now the gateway really dies (restarts with the same ticket keys): DPD → resume.
    let keys = p.b.ep.ticket_keys().unwrap().to_bytes();
    let (_, b_conn) = default_conns();
    let mut fresh = ike_proto::Endpoint::new(test_endpoint_config(), [7; 32], p.now, 1_790_000_000);
    fresh.set_connections(vec![b_conn]).unwrap();
    fresh.set_ticket_keys(ike_proto::ticket::TicketKeyRing::from_bytes(keys.expose()).unwrap());
    p.b.ep = fresh;
    p.drive_for(Duration::from_secs(120));
    assert_eq!(
        p.sent_of(true, ExchangeType::IkeSessionResume).len(),
        1,
        "resumed after DPD declared the peer dead"
    );
    assert!(established_resumed(&p.a));
    assert!(established_resumed(&p.b));
}

#[test]
fn rfc5723_p11_no_ticket_from_a_failed_ike_auth() {
    let (a, mut b) = default_conns();
    b.remote_auth = ike_proto::AuthConfig::Psk(std::sync::Arc::new(
        ike_crypto::SecretBytes::from_slice(b"wrong"),
    ));
    let mut p = Pair::new(23, a, b);
    give_ticket_keys(&mut p, 3600);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(SECS);
    assert!(p.a.ep.list().is_empty());
    assert!(matches!(
        p.a.ep.suspend(p.now, "home"),
        Err(ike_proto::CommandError::NoSa(_))
    ));
}

#[test]
fn rfc5723_p12_ticket_nack_falls_back_to_a_full_handshake() {
    let mut p = pair(24);
    p.a.ep.suspend(p.now, "home").unwrap();
    // The gateway restarts with *new* ticket keys: the old ticket cannot open.
    let (_, b_conn) = default_conns();
    let mut fresh = ike_proto::Endpoint::new(test_endpoint_config(), [8; 32], p.now, 1_790_000_000);
    fresh.set_connections(vec![b_conn]).unwrap();
    p.b.ep = fresh;
    let ring = {
        use rand_core::SeedableRng;
        ike_proto::ticket::TicketKeyRing::generate(
            1_790_000_000,
            3600,
            &mut rand_chacha::ChaCha20Rng::seed_from_u64(1234),
        )
    };
    p.b.ep.set_ticket_keys(ring);
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert_eq!(p.b.ep.stats().tickets_refused, 1);
    let l = p.a.ep.list();
    assert_eq!(l.len(), 1);
    assert!(!l[0].resumed, "full IKE_SA_INIT after TICKET_NACK");
    assert!(
        p.a.events
            .iter()
            .any(|e| matches!(e, Event::ResumeFallback { why, .. } if why.contains("TICKET_NACK")))
    );
    assert_eq!(p.sent_of(true, ExchangeType::IkeSaInit).len(), 2);
    assert!(p.a.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::Protocol(ike_proto::PeerMisbehaved::TicketRefused),
            ..
        }
    )));
}

#[test]
fn gateway_holds_no_state_per_suspended_session() {
    let mut p = pair(25);
    let baseline_used = p.b.ep.used_tickets();
    p.a.ep.suspend(p.now, "home").unwrap();
    // The gateway's old SA dies on its own (here: it terminates it and its Delete goes
    // unanswered until the retransmissions give up; DPD would end the same way).
    p.b.ep.terminate(p.now, "gw").unwrap();
    p.drive_for(Duration::from_secs(60));
    assert_eq!(p.b.ep.sa_count(), 0);
    assert_eq!(p.b.ep.half_open_count(), 0);
    assert_eq!(p.b.ep.used_tickets(), baseline_used);
    // ... and still resumes the client.
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(established_resumed(&p.a) && established_resumed(&p.b));
}

#[test]
fn rfc5723_p7_p8_p10_both_sides_derive_the_same_keys_after_resume() {
    let mut p = pair(26);
    let proposal = p.a.ep.list()[0].proposal.clone();
    suspend_and_resume(&mut p);
    let (a, b) = (p.a.ep.list()[0].clone(), p.b.ep.list()[0].clone());
    assert_eq!(a.proposal, proposal, "algorithms come from the ticket");
    assert_eq!(
        (a.children.len(), b.children.len()),
        (1, 1),
        "a Child SA in the resumed IKE_AUTH"
    );
    assert_eq!(a.children[0].spi_in, b.children[0].spi_out);
    let key = |n: &Node, spi: u32| {
        n.events.iter().rev().find_map(|e| match e {
            Event::ChildUp { spi_in, keys, .. } if *spi_in == spi => {
                Some(keys.encr_i.expose().to_vec())
            }
            _ => None,
        })
    };
    assert_eq!(
        key(&p.a, a.children[0].spi_in),
        key(&p.b, b.children[0].spi_in)
    );
}

#[test]
fn resumption_under_loss_duplication_and_reordering() {
    for seed in 0..100 {
        let mut p = pair(1000 + seed);
        p.faults = Faults {
            loss: 0.2,
            duplicate: 0.2,
            reorder: 0.2,
            corrupt: 0.0,
        };
        p.a.ep.suspend(p.now, "home").unwrap();
        p.a.ep.resume(p.now, "home").unwrap();
        p.drive_until_established(Duration::from_secs(120));
        p.faults = Faults::default();
        p.drive_for(Duration::from_secs(60));
        let l = p.a.ep.list();
        assert_eq!(
            l.iter().filter(|s| s.state == SaState::Established).count(),
            1,
            "seed {seed}: {l:?}"
        );
    }
}

#[test]
fn rfc5723_p9_libreswan_compatible_auth_form_interoperates_and_differs_from_the_rfc_form() {
    let (mut a, mut b) = default_conns();
    a.resumption.auth_form = ike_proto::ResumeAuthForm::Libreswan;
    b.resumption.auth_form = ike_proto::ResumeAuthForm::Libreswan;
    let mut p = pair_with(40, a, b);
    suspend_and_resume(&mut p);
    assert!(established_resumed(&p.a) && established_resumed(&p.b));
    // Mismatched forms fail with AUTHENTICATION_FAILED: the two forms really differ.
    let (mut a, b) = default_conns();
    a.resumption.auth_form = ike_proto::ResumeAuthForm::Libreswan;
    let mut p = pair_with(41, a, b);
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_for(SECS);
    let resp = decrypted(&p, false, ExchangeType::IkeAuth, true);
    assert!(
        resp.iter()
            .any(|r| notify_types(r) == vec![NotifyType::AuthenticationFailed])
    );
    // ... and the client falls back to a full handshake by itself.
    p.drive_until_established(SECS);
    assert!(!established_resumed(&p.a));
    assert!(p.a.events.iter().any(
        |e| matches!(e, Event::ResumeFallback { why, .. } if why.contains("AUTHENTICATION_FAILED"))
    ));
}

#[test]
fn rfc5723_f1_13_a_resumed_sa_lives_only_if_ike_auth_follows() {
    let mut p = pair(42);
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    while p.b.ep.half_open_count() == 0 {
        p.step();
    }
    p.cut = true; // the IKE_AUTH never arrives
    p.drive_for(Duration::from_secs(60));
    assert_eq!(
        p.b.ep.half_open_count(),
        0,
        "half-open resumed SA does not linger"
    );
    assert!(p.b.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::HalfOpenExpired,
            ..
        }
    )));
    assert_eq!(p.b.ep.used_tickets(), 0, "the ticket was not consumed");
}

#[test]
fn rfc5723_f1_16_resume_from_a_new_address() {
    let mut p = pair(43);
    p.a.ep.suspend(p.now, "home").unwrap();
    let (mut a, _) = default_conns();
    a.local_addrs = vec!["192.0.2.11".parse().unwrap()];
    p.a.ep.set_connections(vec![a]).unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(SECS);
    assert!(established_resumed(&p.b));
    assert_eq!(p.b.ep.list()[0].remote, "192.0.2.11:500".parse().unwrap());
}

#[test]
fn rfc5723_f1_17_address_bound_gateway_policy_refuses_a_moved_client() {
    let (a, mut b) = default_conns();
    b.remote_addr = Some(A_IP.parse().unwrap());
    let mut p = pair_with(44, a, b);
    p.a.ep.suspend(p.now, "home").unwrap();
    let (mut a, _) = default_conns();
    a.local_addrs = vec!["192.0.2.11".parse().unwrap()];
    p.a.ep.set_connections(vec![a]).unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_for(SECS);
    assert_eq!(p.b.ep.stats().tickets_refused, 1);
    assert!(!established_resumed(&p.a));
}

#[test]
fn rfc5723_f1_36_f1_44_p13_ticket_notify_encoding_and_expiry() {
    let p = pair(45);
    let resp = &decrypted(&p, false, ExchangeType::IkeAuth, true)[0];
    let n = resp
        .iter()
        .find_map(|x| match x {
            Payload::Notify(n) if n.notify_type == NotifyType::TicketLtOpaque => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(n.protocol, ike_wire::ProtocolId::None, "protocol ID 0");
    assert!(n.spi.is_empty(), "SPI size 0");
    let lifetime = u32::from_be_bytes(n.data[..4].try_into().unwrap());
    assert_eq!(
        u64::from(lifetime),
        ike_proto::ResumptionConfig::default()
            .ticket_lifetime
            .as_secs()
    );
    let held = p.a.ep.list()[0].ticket_expires.unwrap();
    let issued = 1_790_000_000u64;
    assert!(
        held.abs_diff(issued + u64::from(lifetime)) <= 1,
        "expiry = issue time + Lifetime (±1 s)"
    );
    let req = p.sent_of(true, ExchangeType::IkeSaInit);
    assert!(!req.is_empty());
}

#[test]
fn rfc5723_f1_02_no_ticket_request_in_responses_and_only_the_client_asks() {
    let mut p = pair(46);
    p.b.ep.dpd(p.now, "gw").unwrap(); // a gateway-initiated INFORMATIONAL
    p.drive_for(SECS);
    assert!(p.b.ep.request_ticket(p.now, "gw").is_ok());
    p.drive_for(SECS);
    for (from_a, x, _, response, payloads) in &p.decrypted {
        if *x == ExchangeType::Informational {
            let n = notify_types(payloads);
            if *response {
                assert!(
                    !n.contains(&NotifyType::TicketRequest),
                    "never in a response"
                );
            } else {
                assert!(
                    *from_a || !n.contains(&NotifyType::TicketRequest),
                    "the gateway never asks"
                );
            }
        }
    }
}

#[test]
fn rfc5723_f1_09_full_handshake_while_holding_a_ticket() {
    let mut p = pair(47);
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.initiate(p.now, "home").unwrap(); // policy: no resume
    p.drive_until_established(SECS);
    assert!(!established_resumed(&p.a));
    assert!(p.sent_of(true, ExchangeType::IkeSessionResume).is_empty());
    assert!(
        p.a.ep.suspended_sessions().next().is_some(),
        "the ticket is still held"
    );
}
