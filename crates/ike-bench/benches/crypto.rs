//! ike-crypto and the ticket key ring: SK seal/open, key derivation (fresh and resume),
//! Diffie-Hellman, ticket seal/open.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ike_crypto::{
    DhAlg, EncrAlg, IkeSuite, IntegAlg, KeyExchange, PrfAlg, SecretBytes, SkKeys, derive_ike_keys,
    sk, skeyseed_fresh, skeyseed_resume,
};
use ike_proto::Identity;
use ike_proto::ticket::{ResumptionState, TicketKeyRing};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn random(rng: &mut ChaCha20Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0; n];
    rng.fill_bytes(&mut v);
    v
}

/// A 28-octet IKE header whose Next Payload is SK (46), as `sk::seal` expects.
fn header() -> Vec<u8> {
    let mut h = vec![0u8; 28];
    h[..8].copy_from_slice(&[1; 8]);
    h[8..16].copy_from_slice(&[2; 8]);
    h[16] = 46;
    h[17] = 0x20;
    h[18] = 35; // IKE_AUTH
    h[19] = 0x08;
    h
}

fn sk_seal_open(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    // About the size of a PSK IKE_AUTH request's inner payload chain (IDi, AUTH, SA, TSi, TSr,
    // notifies).
    let plaintext = random(&mut rng, 256);
    let mut g = c.benchmark_group("sk");
    g.throughput(Throughput::Bytes(plaintext.len() as u64));
    let cases = [
        ("aes_gcm_256", EncrAlg::AesGcm16_256, None),
        (
            "aes_cbc_128_hmac_sha256",
            EncrAlg::AesCbc128,
            Some(IntegAlg::HmacSha256_128),
        ),
    ];
    for (name, encr, integ) in cases {
        let sk_e = random(&mut rng, encr.key_material_len());
        let sk_a = random(&mut rng, integ.map_or(0, IntegAlg::key_len));
        let keys = SkKeys::new(encr, integ, &sk_e, &sk_a).expect("keys");
        let hdr = header();
        g.bench_function(format!("seal/{name}"), |b| {
            b.iter(|| sk::seal(&keys, &hdr, 35, black_box(&plaintext), &mut rng).expect("seal"))
        });
        let sealed = sk::seal(&keys, &hdr, 35, &plaintext, &mut rng).expect("seal");
        g.bench_function(format!("open/{name}"), |b| {
            b.iter(|| sk::open(&keys, black_box(&sealed), 28).expect("open"))
        });
    }
    g.finish();
}

fn kdf(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([8; 32]);
    let suite = IkeSuite {
        encr: EncrAlg::AesGcm16_128,
        prf: PrfAlg::HmacSha256,
        integ: None,
        dh: DhAlg::Curve25519,
    };
    let (ni, nr, g_ir, sk_d) = (
        random(&mut rng, 32),
        random(&mut rng, 32),
        random(&mut rng, 32),
        random(&mut rng, 32),
    );
    let (spi_i, spi_r) = ([1u8; 8], [2u8; 8]);
    let mut g = c.benchmark_group("kdf");
    g.bench_function("fresh/skeyseed+prf_plus", |b| {
        b.iter(|| {
            let seed = skeyseed_fresh(suite.prf, &ni, &nr, black_box(&g_ir));
            derive_ike_keys(&suite, seed.expose(), &ni, &nr, &spi_i, &spi_r).expect("keys")
        })
    });
    g.bench_function("resume/skeyseed+prf_plus", |b| {
        b.iter(|| {
            let seed = skeyseed_resume(suite.prf, black_box(&sk_d), &ni, &nr);
            derive_ike_keys(&suite, seed.expose(), &ni, &nr, &spi_i, &spi_r).expect("keys")
        })
    });
    g.finish();
}

fn dh(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let mut g = c.benchmark_group("dh");
    for (name, alg) in [("x25519", DhAlg::Curve25519), ("ecp256", DhAlg::Ecp256)] {
        let peer = KeyExchange::generate(alg, &mut rng).expect("peer key");
        g.bench_function(format!("keygen/{name}"), |b| {
            b.iter(|| KeyExchange::generate(alg, &mut rng).expect("keygen"))
        });
        let ours = KeyExchange::generate(alg, &mut rng).expect("key");
        g.bench_function(format!("shared/{name}"), |b| {
            b.iter(|| {
                ours.compute_shared(black_box(peer.public_key()))
                    .expect("shared")
            })
        });
        g.bench_function(format!("keygen+shared/{name}"), |b| {
            b.iter(|| {
                KeyExchange::generate(alg, &mut rng)
                    .expect("keygen")
                    .compute_shared(black_box(peer.public_key()))
                    .expect("shared")
            })
        });
    }
    g.finish();
}

/// A typical ticket plaintext: FQDN identities, AES-GCM-128/x25519 suite, 32-octet SK_d.
pub fn typical_state() -> ResumptionState {
    ResumptionState {
        connection: "roadwarriors".into(),
        id_i: Identity::parse("c123456.load.test").expect("fqdn"),
        id_r: Identity::parse("gw.load.test").expect("fqdn"),
        auth_method: 2,
        policy_hash: [5; 16],
        suite: IkeSuite {
            encr: EncrAlg::AesGcm16_128,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhAlg::Curve25519,
        },
        sk_d: SecretBytes::from_slice(&[6; 32]),
        issued_at: 1_790_000_000,
        expires_at: 1_790_028_800,
        ticket_id: [7; 16],
        old_spi_i: [1; 8],
        old_spi_r: [2; 8],
    }
}

fn tickets(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([10; 32]);
    let ring = TicketKeyRing::generate(1_790_000_000, 86_400, &mut rng);
    let plaintext = typical_state().encode();
    let mut g = c.benchmark_group("ticket");
    g.bench_function("seal", |b| {
        b.iter(|| {
            ring.seal(black_box(plaintext.expose()), &mut rng)
                .expect("seal")
        })
    });
    let ticket = ring.seal(plaintext.expose(), &mut rng).expect("seal");
    g.bench_function("open", |b| {
        b.iter(|| ring.open(black_box(&ticket), 1_790_000_100).expect("open"))
    });
    g.bench_function("open+decode", |b| {
        b.iter(|| {
            let pt = ring.open(black_box(&ticket), 1_790_000_100).expect("open");
            ResumptionState::decode(pt.expose()).expect("decode")
        })
    });
    g.finish();
}

criterion_group!(benches, sk_seal_open, kdf, dh, tickets);
criterion_main!(benches);
