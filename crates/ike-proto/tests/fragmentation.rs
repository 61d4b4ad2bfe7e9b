//! IKE fragmentation (RFC 7383) in the simulated network: negotiation, SKF on the wire within
//! the configured size, loss/reordering/duplication of fragments, forged fragments, and the
//! exchanges that are never fragmented.

mod common;

use std::time::Duration;

use common::*;
use ike_proto::{EndpointConfig, SaState};
use ike_wire::{ExchangeType, NotifyType, Payload};

fn small_mtu() -> EndpointConfig {
    EndpointConfig {
        fragment_mtu: 200,
        ..test_endpoint_config()
    }
}

fn pair(seed: u64, a_frag: bool, b_frag: bool) -> Pair {
    let (mut a, mut b) = default_conns();
    a.fragmentation = a_frag;
    b.fragmentation = b_frag;
    let mut p = Pair::with_config(seed, a, b, small_mtu(), small_mtu());
    p.a.ep.initiate(p.now, "home").unwrap();
    p
}

fn fragments(p: &Pair, from_a: bool, x: ExchangeType) -> Vec<(u16, u16, usize)> {
    p.wire
        .iter()
        .filter(|(s, _)| *s == from_a)
        .filter_map(|(_, pk)| match ike_proto::transmit::classify(&pk.bytes) {
            ike_proto::transmit::Datagram::Ike(b) => {
                let m = ike_wire::Message::parse(b).ok()?;
                match (m.header.exchange_type == x, m.payloads.last()) {
                    (true, Some(Payload::EncryptedFragment(f))) => {
                        Some((f.fragment_number, f.total_fragments, pk.bytes.len()))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

#[test]
fn negotiated_fragmentation_splits_ike_auth_within_the_mtu() {
    let mut p = pair(1, true, true);
    p.drive_until_established(Duration::from_secs(5));
    let init = &p.sent_by(true)[0];
    assert!(
        init.find_notify(NotifyType::Ikev2FragmentationSupported)
            .is_some()
    );
    assert!(
        p.sent_by(false)[0]
            .find_notify(NotifyType::Ikev2FragmentationSupported)
            .is_some()
    );
    for from_a in [true, false] {
        let f = fragments(&p, from_a, ExchangeType::IkeAuth);
        assert!(f.len() >= 2, "IKE_AUTH fragmented: {f:?}");
        let total = f[0].1;
        assert_eq!(
            f.iter().map(|x| x.0).collect::<Vec<_>>(),
            (1..=total).collect::<Vec<_>>()
        );
        assert!(
            f.iter().all(|x| x.2 <= 200),
            "every datagram within fragment_mtu: {f:?}"
        );
    }
    // IKE_SA_INIT is never fragmented.
    assert!(fragments(&p, true, ExchangeType::IkeSaInit).is_empty());
    assert_eq!(p.a.ep.list()[0].children.len(), 1);
}

#[test]
fn without_agreement_nothing_is_fragmented() {
    for (a, b) in [(true, false), (false, true)] {
        let mut p = pair(2, a, b);
        p.drive_until_established(Duration::from_secs(5));
        assert!(fragments(&p, true, ExchangeType::IkeAuth).is_empty());
        assert!(fragments(&p, false, ExchangeType::IkeAuth).is_empty());
        if !b {
            assert!(
                p.sent_by(false)[0]
                    .find_notify(NotifyType::Ikev2FragmentationSupported)
                    .is_none(),
                "responder only answers an announcement"
            );
        }
    }
}

#[test]
fn lost_reordered_and_duplicated_fragments_still_complete() {
    for seed in 0..200 {
        let mut p = pair(100 + seed, true, true);
        p.faults = Faults {
            loss: 0.2,
            duplicate: 0.2,
            reorder: 0.3,
            corrupt: 0.0,
        };
        p.drive_until_established(Duration::from_secs(120));
        assert_eq!(
            p.a.ep
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
fn corrupted_fragments_are_dropped_without_harm() {
    for seed in 0..50 {
        let mut p = pair(500 + seed, true, true);
        p.faults = Faults {
            corrupt: 0.3,
            ..Faults::default()
        };
        p.drive_for(Duration::from_secs(60));
        assert!(p.a.ep.list().len() <= 1, "seed {seed}");
    }
}

#[test]
fn forged_fragments_for_a_live_sa_change_nothing() {
    let mut p = pair(3, true, true);
    p.drive_until_established(Duration::from_secs(5));
    let sa = p.b.ep.list()[0].clone();
    // A fragment with the SA's SPIs but garbage content: fails authentication, is not stored.
    let forged = ike_wire::Message {
        header: ike_wire::IkeHeader::new(
            sa.spi_i,
            sa.spi_r,
            ExchangeType::Informational,
            ike_wire::Flags::new(true, false),
            2,
        ),
        payloads: vec![Payload::EncryptedFragment(
            ike_wire::EncryptedFragmentPayload {
                first_inner: ike_wire::PayloadType::Notify,
                fragment_number: 1,
                total_fragments: 2,
                data: vec![0x55; 100],
            },
        )],
    }
    .emit();
    for _ in 0..100 {
        p.inject(false, &forged);
    }
    p.drive_for(Duration::from_secs(5));
    assert_eq!(p.b.ep.list()[0].state, SaState::Established);
    // The SA still works: a DPD round trip from the client.
    p.a.ep.dpd(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_eq!(p.a.ep.list()[0].state, SaState::Established);
}

#[test]
fn ike_session_resume_is_never_fragmented_and_re_announces_support() {
    use rand_core::SeedableRng;
    let (a, b) = default_conns();
    let cfg = EndpointConfig {
        fragment_mtu: 380,
        ..test_endpoint_config()
    };
    let mut p = Pair::with_config(4, a, b, cfg.clone(), cfg);
    p.a.ep.initiate(p.now, "home").unwrap();
    let ring = ike_proto::ticket::TicketKeyRing::generate(
        1_790_000_000,
        3600,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(1),
    );
    p.b.ep.set_ticket_keys(ring);
    p.drive_until_established(Duration::from_secs(5));
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    assert!(p.a.ep.list()[0].resumed);
    let req = p
        .sent_by(true)
        .into_iter()
        .find(|m| m.header.exchange_type == ExchangeType::IkeSessionResume)
        .unwrap();
    assert!(
        req.find_notify(NotifyType::Ikev2FragmentationSupported)
            .is_some()
    );
    assert!(fragments(&p, true, ExchangeType::IkeSessionResume).is_empty());
    assert!(fragments(&p, false, ExchangeType::IkeSessionResume).is_empty());
    // The ticket-carrying IKE_AUTH response after the resume was fragmented (support re-negotiated).
    assert!(
        fragments(&p, false, ExchangeType::IkeAuth).len() >= 4,
        "two fragmented IKE_AUTH responses"
    );
}

#[test]
fn no_ticket_that_would_not_fit_one_ike_session_resume_datagram() {
    use rand_core::SeedableRng;
    let mut p = pair(5, true, true); // fragment_mtu 200: a ~200-byte ticket cannot fit
    let ring = ike_proto::ticket::TicketKeyRing::generate(
        1_790_000_000,
        3600,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(1),
    );
    p.b.ep.set_ticket_keys(ring);
    p.drive_until_established(Duration::from_secs(5));
    assert_eq!(
        p.a.ep.list()[0].ticket_expires,
        None,
        "TICKET_NACK instead of an oversized ticket"
    );
    assert!(matches!(
        p.a.ep.suspend(p.now, "home"),
        Err(ike_proto::CommandError::NoTicket(_))
    ));
}
