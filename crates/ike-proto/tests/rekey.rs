//! CREATE_CHILD_SA in the simulated network: additional Child SAs, Child SA rekey (with and
//! without PFS), IKE SA rekey, lifetimes and simultaneous-rekey collisions (RFC 7296 §2.8.1).

mod common;

use std::time::Duration;

use common::*;
use ike_proto::{Event, SaError, SaState};
use ike_wire::{ExchangeType, NotifyType};

fn established_pair(
    seed: u64,
    tweak: impl Fn(&mut ike_proto::ConnectionConfig, &mut ike_proto::ConnectionConfig),
) -> Pair {
    let (mut a, mut b) = default_conns();
    tweak(&mut a, &mut b);
    let mut p = Pair::new(seed, a, b);
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    p
}

fn child_spis(n: &Node) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> =
        n.ep.list()
            .iter()
            .flat_map(|s| s.children.iter().map(|c| (c.spi_in, c.spi_out)))
            .collect();
    v.sort();
    v
}

fn keys_of(n: &Node, spi_in: u32) -> Option<(bool, Vec<u8>, Vec<u8>)> {
    n.events.iter().rev().find_map(|e| match e {
        Event::ChildUp {
            spi_in: s,
            keys,
            initiator,
            ..
        } if *s == spi_in => Some((
            *initiator,
            keys.encr_i.expose().to_vec(),
            keys.encr_r.expose().to_vec(),
        )),
        _ => None,
    })
}

fn assert_children_match(p: &Pair) {
    let a = child_spis(&p.a);
    let b = child_spis(&p.b);
    assert_eq!(a.len(), b.len(), "a {a:x?} b {b:x?}");
    for (ain, aout) in &a {
        assert!(
            b.contains(&(*aout, *ain)),
            "a's child {ain:08x}/{aout:08x} missing on b: {b:x?}"
        );
        let (ai, aki, akr) = keys_of(&p.a, *ain).unwrap();
        let (bi, bki, bkr) = keys_of(&p.b, *aout).unwrap();
        assert_ne!(ai, bi, "exactly one side initiated");
        assert_eq!((aki, akr), (bki, bkr), "both derived the same KEYMAT");
    }
}

#[test]
fn additional_child_sa_via_create_child_sa() {
    let mut p = established_pair(10, |a, b| {
        let mut c2 = child("web");
        c2.local_ts = vec![ts("10.1.0.0/24")];
        c2.remote_ts = vec![ts("10.9.0.0/24")];
        a.children.push(c2.clone());
        let mut c2b = child("web");
        c2b.local_ts = vec![ts("10.9.0.0/16")];
        c2b.remote_ts = vec![ts("10.1.0.0/16")];
        b.children.push(c2b);
    });
    p.a.ep.create_child(p.now, "home", "web").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_eq!(child_spis(&p.a).len(), 2);
    assert_children_match(&p);
    let last = p.sent_by(true).pop().unwrap();
    assert_eq!(last.header.exchange_type, ExchangeType::CreateChildSa);
    assert_eq!(last.header.message_id, 2);
}

#[test]
fn child_rekey_replaces_the_child_and_deletes_the_old_one() {
    let mut p = established_pair(11, |_, _| {});
    let before = child_spis(&p.a);
    p.a.ep.rekey_children(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    let after = child_spis(&p.a);
    assert_eq!(after.len(), 1, "old child deleted after rekey: {after:x?}");
    assert_ne!(after, before);
    assert_children_match(&p);
    let downs =
        p.a.events
            .iter()
            .filter(|e| matches!(e, Event::ChildDown { .. }))
            .count();
    assert_eq!(downs, 1);
    // Exchanges: CREATE_CHILD_SA (MID 2) then INFORMATIONAL delete (MID 3).
    let a = p.sent_by(true);
    assert_eq!(a[2].header.exchange_type, ExchangeType::CreateChildSa);
    assert_eq!(a[3].header.exchange_type, ExchangeType::Informational);
    assert_eq!(p.a.ep.list()[0].state, SaState::Established);
}

#[test]
fn child_rekey_with_pfs_uses_a_fresh_key_exchange() {
    let mut p = established_pair(12, |a, b| {
        a.children[0].esp_proposals[0].dh = vec![ike_crypto::DhAlg::Curve25519];
        b.children[0].esp_proposals[0].dh = vec![ike_crypto::DhAlg::Curve25519];
    });
    p.b.ep.rekey_children(p.now, "gw").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_children_match(&p);
    let ccs = p
        .sent_by(false)
        .into_iter()
        .find(|m| m.header.exchange_type == ExchangeType::CreateChildSa)
        .unwrap();
    assert!(
        !ccs.header.flags.is_initiator(),
        "the original responder initiated this exchange"
    );
}

#[test]
fn child_soft_lifetime_triggers_rekey() {
    let mut p = established_pair(13, |a, _| {
        a.children[0].rekey_time = Duration::from_secs(60);
        a.children[0].life_time = Duration::from_secs(90);
    });
    let before = child_spis(&p.a);
    p.drive_for(Duration::from_secs(70));
    let after = child_spis(&p.a);
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "rekeyed at the soft lifetime");
    assert_children_match(&p);
}

#[test]
fn ike_rekey_moves_children_and_replaces_the_sa() {
    let mut p = established_pair(14, |_, _| {});
    let old = p.a.ep.list()[0].clone();
    let children_before = child_spis(&p.a);
    p.a.ep.rekey_ike(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    let (la, lb) = (p.a.ep.list(), p.b.ep.list());
    assert_eq!(la.len(), 1, "{la:?}");
    assert_eq!(lb.len(), 1);
    assert_ne!(la[0].spi_i, old.spi_i);
    assert_eq!((la[0].spi_i, la[0].spi_r), (lb[0].spi_i, lb[0].spi_r));
    assert_eq!(la[0].state, SaState::Established);
    assert_eq!(
        child_spis(&p.a),
        children_before,
        "children survive an IKE rekey"
    );
    let closed: Vec<_> =
        p.a.events
            .iter()
            .filter_map(|e| match e {
                Event::Closed { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect();
    assert_eq!(closed, vec![SaError::Rekeyed]);
    assert!(p.a.events.iter().any(
        |e| matches!(e, Event::IkeRekeyed { old_local_spi, new_local_spi, .. }
        if *old_local_spi == old.spi_i && *new_local_spi == la[0].spi_i)
    ));
    let closed_b: Vec<_> =
        p.b.events
            .iter()
            .filter_map(|e| match e {
                Event::Closed { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect();
    assert_eq!(closed_b, vec![SaError::Rekeyed]);
    // The new SA works: a DPD round trip and a child rekey on it.
    p.b.ep.rekey_children(p.now, "gw").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_children_match(&p);
    let new_msgs: Vec<_> = p
        .sent_by(false)
        .into_iter()
        .filter(|m| m.header.spi_i == la[0].spi_i)
        .collect();
    assert_eq!(
        new_msgs[0].header.message_id, 0,
        "message IDs restart on the new SA"
    );
}

#[test]
fn ike_rekey_by_the_original_responder() {
    let mut p = established_pair(15, |_, _| {});
    p.b.ep.rekey_ike(p.now, "gw").unwrap();
    p.drive_for(Duration::from_secs(5));
    let (la, lb) = (p.a.ep.list(), p.b.ep.list());
    assert_eq!((la.len(), lb.len()), (1, 1));
    assert!(
        lb[0].initiator,
        "the rekey initiator becomes the new SA's initiator"
    );
    assert!(!la[0].initiator);
    p.a.ep.terminate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert_eq!(p.a.ep.sa_count() + p.b.ep.sa_count(), 0);
}

#[test]
fn simultaneous_child_rekey_leaves_exactly_one_child() {
    for seed in 0..20 {
        let mut p = established_pair(100 + seed, |_, _| {});
        p.a.ep.rekey_children(p.now, "home").unwrap();
        p.b.ep.rekey_children(p.now, "gw").unwrap();
        p.drive_for(Duration::from_secs(10));
        let (a, b) = (child_spis(&p.a), child_spis(&p.b));
        assert_eq!(a.len(), 1, "seed {seed}: a {a:x?} b {b:x?}");
        assert_eq!(b.len(), 1, "seed {seed}");
        assert_children_match(&p);
    }
}

#[test]
fn simultaneous_ike_rekey_converges_to_one_sa() {
    let mut p = established_pair(16, |_, _| {});
    p.a.ep.rekey_ike(p.now, "home").unwrap();
    p.b.ep.rekey_ike(p.now, "gw").unwrap();
    p.drive_for(Duration::from_secs(60));
    let (la, lb) = (p.a.ep.list(), p.b.ep.list());
    assert_eq!((la.len(), lb.len()), (1, 1), "{la:?} {lb:?}");
    assert_eq!((la[0].spi_i, la[0].spi_r), (lb[0].spi_i, lb[0].spi_r));
    assert!(
        p.sent_by(false)
            .iter()
            .chain(p.sent_by(true).iter())
            .any(|m| m.header.exchange_type == ExchangeType::CreateChildSa)
    );
    let _ = NotifyType::TemporaryFailure;
}

#[test]
fn rekeys_complete_under_loss() {
    for seed in 0..50 {
        let mut p = established_pair(300 + seed, |_, _| {});
        p.faults = Faults {
            loss: 0.2,
            duplicate: 0.1,
            reorder: 0.1,
            corrupt: 0.0,
        };
        p.a.ep.rekey_children(p.now, "home").unwrap();
        p.drive_for(Duration::from_secs(60));
        p.a.ep.rekey_ike(p.now, "home").unwrap();
        p.drive_for(Duration::from_secs(60));
        p.faults = Faults::default();
        p.drive_for(Duration::from_secs(60));
        assert_eq!(p.a.ep.list().len(), 1, "seed {seed}");
        assert_eq!(child_spis(&p.a).len(), 1, "seed {seed}");
        assert_children_match(&p);
    }
}

#[test]
fn zero_lifetimes_mean_the_child_never_expires() {
    // Regression (found in charon interop): rekey_time = life_time = 0 made the child expire at once.
    let mut p = established_pair(17, |a, b| {
        for c in [&mut a.children[0], &mut b.children[0]] {
            c.rekey_time = Duration::ZERO;
            c.life_time = Duration::ZERO;
        }
    });
    let before = child_spis(&p.a);
    p.drive_for(Duration::from_secs(7200));
    assert_eq!(child_spis(&p.a), before);
    assert!(
        p.a.events
            .iter()
            .all(|e| !matches!(e, Event::ChildDown { .. }))
    );
}
