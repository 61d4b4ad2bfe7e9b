//! Responder processing in-process (no sockets): one IKE_SA_INIT, one full handshake
//! (IKE_SA_INIT + IKE_AUTH), one IKE_SESSION_RESUME, one resumption (IKE_SESSION_RESUME +
//! IKE_AUTH), each against a gateway created fresh from the captured seed (creation is outside
//! the measurement), so every iteration runs the complete successful path; nothing is a
//! retransmission answered from cache.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ike_bench::fixtures::{Auth, suite_gcm128_x25519};
use ike_bench::scenario::Scenario;

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("responder");
    let sc = Scenario::capture(Auth::Psk, suite_gcm128_x25519()).expect("capture");
    sc.verify_replay()
        .expect("a fresh gateway answers as captured");
    let full = sc.full_requests();
    let resume = sc.resume_requests();
    let cases: [(&str, bool, &[_]); 4] = [
        ("psk/ike_sa_init", true, &full[..1]),
        ("psk/ike_sa_init+ike_auth", true, &full[..]),
        ("psk/ike_session_resume", false, &resume[..1]),
        ("psk/ike_session_resume+ike_auth", false, &resume[..]),
    ];
    for (name, is_full, reqs) in cases {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    if is_full {
                        sc.full_gateway()
                    } else {
                        sc.resume_gateway()
                    }
                },
                |mut gw| {
                    let out = sc.replay(&mut gw, reqs);
                    assert_eq!(out.len(), reqs.len());
                    gw
                },
                BatchSize::SmallInput,
            )
        });
    }
    let pki = std::sync::Arc::new(ike_bench::fixtures::Pki::generate().expect("pki"));
    let sc = Scenario::capture(Auth::Cert(pki), suite_gcm128_x25519()).expect("capture");
    sc.verify_replay()
        .expect("a fresh gateway answers as captured");
    let full = sc.full_requests();
    g.bench_function("ecdsa_p256/ike_sa_init+ike_auth", |b| {
        b.iter_batched(
            || sc.full_gateway(),
            |mut gw| {
                let out = sc.replay(&mut gw, &full);
                assert_eq!(out.len(), full.len());
                gw
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
