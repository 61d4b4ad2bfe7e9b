//! ike-wire: parse and emit of a real IKE_SA_INIT request and IKE_AUTH request (outer message,
//! SK payload opaque), captured from an in-process handshake.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ike_bench::fixtures::{Auth, suite_gcm128_x25519};
use ike_bench::scenario::Scenario;
use ike_wire::{ExchangeType, Message};
use std::hint::black_box;

fn wire(c: &mut Criterion) {
    let sc = Scenario::capture(Auth::Psk, suite_gcm128_x25519()).expect("capture");
    let pick = |x: ExchangeType| {
        sc.full
            .iter()
            .find(|p| p.from_client && p.exchange() == Some(x))
            .expect("captured")
            .ike()
            .to_vec()
    };
    let mut g = c.benchmark_group("wire");
    for (name, bytes) in [
        ("ike_sa_init_request", pick(ExchangeType::IkeSaInit)),
        ("ike_auth_request", pick(ExchangeType::IkeAuth)),
    ] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Message::parse(black_box(&bytes)).expect("parses"))
        });
        let msg = Message::parse(&bytes).expect("parses");
        assert_eq!(msg.emit(), bytes, "emit reproduces the captured bytes");
        g.bench_function(format!("emit/{name}"), |b| {
            b.iter(|| black_box(&msg).emit())
        });
    }
    g.finish();
}

criterion_group!(benches, wire);
criterion_main!(benches);
