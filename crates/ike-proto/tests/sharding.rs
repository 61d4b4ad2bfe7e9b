//! A gateway split into shards (one Endpoint per core in the daemon): SPIs name their shard,
//! `ike_proto::route` sends every datagram to the right one, a replayed ticket meets the same
//! used-ticket log, and a resumed session's old SA is removed even when another shard holds it.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use ike_proto::{Endpoint, EndpointConfig, Event, SaState, Shard, route};
use rand_core::SeedableRng;

const SHARDS: u8 = 2;

struct Net {
    client: Endpoint,
    shards: Vec<Endpoint>,
    now: Instant,
    client_addr: SocketAddr,
    wire_to_gw: Vec<Vec<u8>>,
    forwarded: usize,
}

impl Net {
    fn new(seed: u8) -> Net {
        let now = Instant::now();
        let (a, b) = default_conns();
        let mut client = Endpoint::new(test_endpoint_config(), [seed; 32], now, 1_790_000_000);
        client.set_connections(vec![a]).unwrap();
        let ring = ike_proto::ticket::TicketKeyRing::generate(
            1_790_000_000,
            3600,
            &mut rand_chacha::ChaCha20Rng::seed_from_u64(3),
        );
        let shards = (0..SHARDS)
            .map(|i| {
                let cfg = EndpointConfig {
                    shard: Some(Shard {
                        index: i,
                        count: SHARDS,
                    }),
                    rotate_ticket_keys: i == 0,
                    ..test_endpoint_config()
                };
                let mut ep = Endpoint::new(cfg, [seed.wrapping_add(i + 1); 32], now, 1_790_000_000);
                ep.set_connections(vec![b.clone()]).unwrap();
                ep.set_ticket_keys(
                    ike_proto::ticket::TicketKeyRing::from_bytes(ring.to_bytes().expose()).unwrap(),
                );
                ep
            })
            .collect();
        Net {
            client,
            shards,
            now,
            client_addr: format!("{A_IP}:500").parse().unwrap(),
            wire_to_gw: Vec::new(),
            forwarded: 0,
        }
    }

    /// Deliver everything until quiet (no loss, no delay), routing gateway-bound datagrams.
    fn run(&mut self) {
        let gw: SocketAddr = format!("{B_IP}:500").parse().unwrap();
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit() {
                moved = true;
                self.wire_to_gw.push(t.contents.clone());
                let s = route(&t.contents, self.client_addr, SHARDS) as usize;
                self.shards[s].handle(self.now, gw, self.client_addr, &t.contents);
            }
            let mut forwards = VecDeque::new();
            for s in 0..self.shards.len() {
                while let Some(t) = self.shards[s].poll_transmit() {
                    moved = true;
                    self.client
                        .handle(self.now, self.client_addr, gw, &t.contents);
                }
                while let Some(e) = self.shards[s].poll_event() {
                    if let Event::SupersededElsewhere { spi_i, spi_r } = e {
                        forwards.push_back((spi_i, spi_r));
                    }
                }
            }
            for (spi_i, spi_r) in forwards {
                moved = true;
                self.forwarded += 1;
                let s = Shard::of_spi(&spi_r, SHARDS) as usize;
                assert!(
                    self.shards[s].delete_superseded(self.now, spi_i, spi_r),
                    "forwarded to the owning shard"
                );
            }
            while self.client.poll_event().is_some() {}
            if !moved {
                return;
            }
        }
        panic!("did not settle");
    }

    fn gateway_sas(&self) -> Vec<(usize, ike_proto::SaInfo)> {
        self.shards
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.list().into_iter().map(move |x| (i, x)))
            .collect()
    }
}

#[test]
fn sharded_gateway_establishes_resumes_and_removes_old_sas_across_shards() {
    let mut seen_shards = [false; SHARDS as usize];
    let mut cross_shard = 0;
    for seed in 0..16u8 {
        let mut n = Net::new(seed);
        n.client.initiate(n.now, "home").unwrap();
        n.run();
        let sas = n.gateway_sas();
        assert_eq!(sas.len(), 1);
        let (shard, sa) = &sas[0];
        assert_eq!(sa.state, SaState::Established);
        assert_eq!(
            Shard::of_spi(&sa.spi_r, SHARDS) as usize,
            *shard,
            "the SA lives where its SPI says"
        );
        seen_shards[*shard] = true;
        n.client.suspend(n.now, "home").unwrap();
        n.now += Duration::from_secs(1);
        n.client.resume(n.now, "home").unwrap();
        n.run();
        let after = n.gateway_sas();
        assert_eq!(
            after.len(),
            1,
            "old SA removed wherever it lived: {after:?}"
        );
        assert!(after[0].1.resumed);
        cross_shard += n.forwarded;
        // A replay of the IKE_SESSION_RESUME request reaches the shard that consumed the ticket.
        let replay = n
            .wire_to_gw
            .iter()
            .rev()
            .find(|b| {
                ike_wire::Message::parse(ike_proto::transmit::classify(b).ike().unwrap()).is_ok_and(
                    |m| m.header.exchange_type == ike_wire::ExchangeType::IkeSessionResume,
                )
            })
            .unwrap()
            .clone();
        let s = route(&replay, n.client_addr, SHARDS) as usize;
        let refused = n.shards[s].stats().tickets_refused;
        n.now += Duration::from_secs(60);
        for ep in &mut n.shards {
            ep.handle_timeout(n.now);
        }
        n.shards[s].handle(
            n.now,
            format!("{B_IP}:500").parse().unwrap(),
            n.client_addr,
            &replay,
        );
        assert_eq!(
            n.shards[s].stats().tickets_refused,
            refused + 1,
            "replay refused"
        );
    }
    assert!(
        seen_shards.iter().all(|s| *s),
        "both shards were used: {seen_shards:?}"
    );
    assert!(cross_shard > 0, "some old SAs lived in the other shard");
}
