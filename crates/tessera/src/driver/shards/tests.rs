//! The shard glue: request fan-out and merging, cross-shard messages, and two sharded daemons
//! in one process whose resumed sessions land on other shards than their old SAs.

use std::time::Duration;

use ike_crypto::SecretBytes;
use ike_proto::ticket::TicketKeyRing;
use rand_core::OsRng;

use super::*;
use crate::control::SuspendedJson;
use crate::demo::{connection, daemon_config};
use crate::kernel::NoneBackend;

fn sa(connection: &str, spi: &str) -> SaJson {
    SaJson {
        connection: connection.into(),
        state: "ESTABLISHED".into(),
        initiator: false,
        spi_i: spi.into(),
        spi_r: spi.into(),
        local: String::new(),
        remote: String::new(),
        local_id: String::new(),
        remote_id: String::new(),
        proposal: String::new(),
        nat_detected: false,
        resumed: false,
        ticket_expires: None,
        children: Vec::new(),
    }
}

#[test]
fn home_shards_are_stable_in_range_and_spread() {
    assert_eq!(home_shard("home", 1), 0);
    let mut seen = [0usize; 4];
    for i in 0..64 {
        let name = format!("conn{i}");
        let s = home_shard(&name, 4);
        assert_eq!(s, home_shard(&name, 4));
        seen[s] += 1;
    }
    assert!(seen.iter().all(|n| *n > 0), "{seen:?}");
    // FNV-1a of "a" is 0xaf63dc4c8601ec8c: pinned so a restart finds sessions where it left them.
    assert_eq!(home_shard("a", 7), (0xaf63_dc4c_8601_ec8cu64 % 7) as usize);
}

#[test]
fn datagrams_go_where_their_spi_says() {
    let remote: SocketAddr = "127.0.0.1:500".parse().unwrap();
    let mut h = ike_wire::IkeHeader::new(
        [5; 8],
        [6; 8],
        ike_wire::ExchangeType::IkeAuth,
        ike_wire::Flags::new(true, false),
        1,
    );
    h.next_payload = ike_wire::PayloadType::NoNext;
    let to_responder = ike_wire::Message {
        header: h,
        payloads: vec![],
    }
    .emit();
    assert_eq!(shard_of_datagram(&to_responder, remote, 4), 6 % 4);
    assert_eq!(shard_of_datagram(&to_responder, remote, 1), 0);
    assert_eq!(
        shard_of_datagram(b"\x00", remote, 4),
        0,
        "non-IKE to shard 0"
    );
}

#[test]
fn one_answer_passes_through_several_are_merged() {
    let one = Response::ok("terminating 1 IKE SA(s) of gw");
    let name = "gw".to_string();
    let req = Request::Terminate {
        name: name.clone(),
        wait: false,
    };
    assert_eq!(merge(&req, vec![one.clone()]), one);

    let two = merge(
        &req,
        vec![one.clone(), Response::ok("terminating 2 IKE SA(s) of gw")],
    );
    assert!(two.ok);
    assert_eq!(
        two.message.as_deref(),
        Some("terminating 1 IKE SA(s) of gw; terminating 2 IKE SA(s) of gw")
    );
    let failed = merge(&req, vec![one, Response::error("no IKE SA")]);
    assert!(!failed.ok);
    assert_eq!(failed.error.as_deref(), Some("no IKE SA"));

    let list = |sas: Vec<SaJson>, sus: Vec<SuspendedJson>| Response {
        ok: true,
        sas: Some(sas),
        suspended: Some(sus),
        ..Response::default()
    };
    let susp = |c: &str| SuspendedJson {
        connection: c.into(),
        peer: "127.0.0.1:500".into(),
        local_id: String::new(),
        remote_id: String::new(),
        ticket_expires: 1,
        suspended_at: 0,
        persisted: false,
    };
    let merged = merge(
        &Request::List,
        vec![
            list(vec![sa("gw", "01")], vec![susp("zz")]),
            list(vec![sa("gw", "02"), sa("x", "04")], vec![susp("aa")]),
        ],
    );
    let spis: Vec<&str> = merged
        .sas
        .iter()
        .flatten()
        .map(|s| s.spi_i.as_str())
        .collect();
    assert_eq!(spis, ["01", "02", "04"]);
    let names: Vec<&str> = merged
        .suspended
        .iter()
        .flatten()
        .map(|s| s.connection.as_str())
        .collect();
    assert_eq!(names, ["aa", "zz"], "sorted as one daemon would");

    let reload = merge(
        &Request::Reload,
        vec![Response::ok("reloaded x"), Response::ok("reloaded x")],
    );
    assert_eq!(reload.message.as_deref(), Some("reloaded x"));
    let bad = merge(
        &Request::Reload,
        vec![Response::ok("reloaded x"), Response::error("bad")],
    );
    assert_eq!(bad.error.as_deref(), Some("bad"));
}

fn psk() -> Arc<SecretBytes> {
    let mut secret = vec![0u8; 32];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut secret);
    Arc::new(SecretBytes::new(secret))
}

fn sharded(workers: usize) -> DaemonConfig {
    DaemonConfig {
        workers,
        ..daemon_config()
    }
}

#[tokio::test]
async fn shard_configs_split_limits_and_rotation() {
    let (d, _h) = Driver::new(&sharded(4), Vec::new(), Box::new(NoneBackend::new()))
        .await
        .unwrap();
    assert_eq!(d.endpoints().count(), 4);
    let single = shard_endpoint_config(&daemon_config(), 1, 2, 0, 1);
    assert_eq!(single.shard, None);
    assert_eq!(single.cookie_threshold, 1000);
    for i in 0..4 {
        let c = shard_endpoint_config(&daemon_config(), 1, 2, i, 4);
        assert_eq!(
            c.shard,
            Some(Shard {
                index: i as u8,
                count: 4
            })
        );
        assert_eq!(c.rotate_ticket_keys, i == 0);
        assert_eq!((c.cookie_threshold, c.half_open_limit), (250, 250));
    }
    let tiny = DaemonConfig {
        cookie_threshold: 1,
        ..daemon_config()
    };
    assert_eq!(shard_endpoint_config(&tiny, 1, 2, 3, 4).cookie_threshold, 1);
}

#[tokio::test]
async fn rotated_rings_and_superseded_sas_reach_the_other_shards() {
    let (mut d, _h) = Driver::new(&sharded(3), Vec::new(), Box::new(NoneBackend::new()))
        .await
        .unwrap();
    d.use_ephemeral_ticket_keys(3600);
    let first = d.engines[0].ep.ticket_keys().unwrap().current_key_id();
    for e in &d.engines {
        assert_eq!(e.ep.ticket_keys().unwrap().current_key_id(), first);
    }
    // Shard 0 "rotated": the others get the new ring through their peer channels.
    let ring = TicketKeyRing::generate(unix_now(), 3600, &mut OsRng);
    let id = ring.current_key_id();
    assert_ne!(id, first);
    d.engines[0].ep.set_ticket_keys(ring);
    d.engines[0].copy_ticket_keys();
    assert_eq!(d.engines[0].drain_peers(), 0, "no copy to itself");
    for e in &mut d.engines[1..] {
        assert_eq!(e.drain_peers(), 1);
        assert_eq!(e.ep.ticket_keys().unwrap().current_key_id(), id);
    }
    // A superseded SA goes to the shard its responder SPI names: 7 % 3 = 1.
    d.engines[0].forward_superseded([1; 8], [7; 8]);
    assert_eq!(d.engines[2].drain_peers(), 0);
    assert_eq!(d.engines[0].drain_peers(), 0);
    assert_eq!(d.engines[1].drain_peers(), 1);
}

async fn ask(h: &DriverHandle, req: Request) -> Response {
    tokio::time::timeout(Duration::from_secs(10), h.request(req))
        .await
        .expect("answer in time")
}

async fn gateway_sas(h: &DriverHandle) -> Vec<SaJson> {
    ask(h, Request::List).await.sas.unwrap_or_default()
}

/// Two daemons with two shards each over loopback: establish, then suspend and resume until a
/// resumed SA has landed on another shard than its old one; the old SA must disappear (the
/// cross-shard SupersededElsewhere forward) and every resume must use the ticket (the shard
/// that decrypts it, chosen by a hash of the ticket, has a copy of the key ring).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sharded_daemons_resume_across_shards() {
    let key = psk();
    let gw_conn = connection("gw", "gw.test", None, &key, "10.2.0.0/16", "10.1.0.0/16").unwrap();
    let (mut gw, gh) = Driver::new(&sharded(2), vec![gw_conn], Box::new(NoneBackend::new()))
        .await
        .unwrap();
    gw.use_ephemeral_ticket_keys(3600);
    let gw_addr = gw.local_addrs()[0];
    let home = connection(
        "home",
        "client.test",
        Some(gw_addr),
        &key,
        "10.1.0.0/16",
        "10.2.0.0/16",
    )
    .unwrap();
    let (client, ch) = Driver::new(&sharded(2), vec![home], Box::new(NoneBackend::new()))
        .await
        .unwrap();
    let gtask = tokio::spawn(gw.run());
    let ctask = tokio::spawn(client.run());

    let r = ask(
        &ch,
        Request::Initiate {
            name: "home".into(),
            wait: true,
        },
    )
    .await;
    assert!(r.ok, "{r:?}");
    let shard_of = |s: &SaJson| u8::from_str_radix(&s.spi_r[..2], 16).unwrap() % 2;
    let mut old = gateway_sas(&gh).await;
    assert_eq!(old.len(), 1);
    let mut crossed = 0;
    for _ in 0..40 {
        let r = ask(
            &ch,
            Request::Suspend {
                name: "home".into(),
            },
        )
        .await;
        assert!(r.ok, "{r:?}");
        let r = ask(
            &ch,
            Request::Resume {
                name: "home".into(),
                wait: true,
            },
        )
        .await;
        assert!(r.ok, "{r:?}");
        assert_eq!(r.resumed, Some(true), "{r:?}");
        // The old SA goes away on its own shard, possibly a moment after the answer.
        let mut now = Vec::new();
        for _ in 0..200 {
            now = gateway_sas(&gh).await;
            if now.len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(now.len(), 1, "old SA removed: {now:?}");
        assert!(now[0].resumed);
        assert_ne!(now[0].spi_r, old[0].spi_r);
        if shard_of(&now[0]) != shard_of(&old[0]) {
            crossed += 1;
        }
        old = now;
        if crossed >= 2 {
            break;
        }
    }
    assert!(crossed >= 2, "resumed SAs moved between shards");
    // Commands reach the shard that holds the connection, whichever it is.
    let r = ask(
        &ch,
        Request::Terminate {
            name: "home".into(),
            wait: true,
        },
    )
    .await;
    assert!(r.ok, "{r:?}");
    assert!(gateway_sas(&ch).await.is_empty());
    drop((ch, gh));
    let _ = tokio::join!(gtask, ctask);
}
