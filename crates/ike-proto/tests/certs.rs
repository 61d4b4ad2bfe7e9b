//! Certificate authentication in the simulated network: RFC 7427 digital signatures with
//! ECDSA P-256, RSA-PSS and Ed25519, classic methods when the peer does not announce
//! SIGNATURE_HASH_ALGORITHMS, chain verification and identity matching. Test PKI:
//! crates/ike-crypto/testdata (README there).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ike_crypto::cert::Certificate;
use ike_crypto::sig::SigningKey;
use ike_proto::{AuthConfig, Event, PubKeyAuth, SaError, SaState};
use ike_wire::{AuthMethod, ExchangeType, NotifyType, Payload};

/// 2027-01-15: inside every test certificate's validity.
const CERT_TIME: u64 = 1_800_000_000;

fn td(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../ike-crypto/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&td(name)).unwrap().remove(0)
}

fn local_pubkey(ee: &str) -> AuthConfig {
    AuthConfig::PubKey(PubKeyAuth {
        certs: vec![cert(&format!("{ee}.crt.pem")), cert("int-ca.crt.pem")],
        key: Some(Arc::new(
            SigningKey::from_pem(&td(&format!("{ee}.key.pem"))).unwrap(),
        )),
        cas: vec![],
    })
}

fn remote_pubkey(ca: &str) -> AuthConfig {
    AuthConfig::PubKey(PubKeyAuth {
        certs: vec![],
        key: None,
        cas: vec![cert(ca)],
    })
}

fn cert_pair(
    seed: u64,
    client_ee: &str,
    client_id: &str,
    gw_ee: &str,
    gw_id: &str,
    gw_trusts: &str,
) -> Pair {
    let (mut a, mut b) = default_conns();
    a.local_id = ike_proto::Identity::parse(client_id).unwrap();
    a.local_auth = local_pubkey(client_ee);
    a.remote_id = Some(ike_proto::Identity::parse(gw_id).unwrap());
    a.remote_auth = remote_pubkey("root-ca.crt.pem");
    b.local_id = ike_proto::Identity::parse(gw_id).unwrap();
    b.local_auth = local_pubkey(gw_ee);
    b.remote_auth = remote_pubkey(gw_trusts);
    // These tests inspect decrypted IKE_AUTH payloads; fragmentation has its own tests.
    a.fragmentation = false;
    b.fragmentation = false;
    let cfg = test_endpoint_config();
    let mut p = Pair::with_config_at(seed, a, b, cfg.clone(), cfg, CERT_TIME);
    p.a.ep.initiate(p.now, "home").unwrap();
    p
}

fn auth_methods(p: &Pair, from_a: bool) -> Vec<AuthMethod> {
    p.decrypted
        .iter()
        .filter(|d| d.0 == from_a && d.1 == ExchangeType::IkeAuth)
        .flat_map(|d| {
            d.4.iter().filter_map(|x| match x {
                Payload::Auth(a) => Some(a.method),
                _ => None,
            })
        })
        .collect()
}

#[test]
fn ecdsa_p256_gateway_and_ed25519_client_with_rfc7427_signatures() {
    let mut p = cert_pair(
        1,
        "ee-ed25519",
        "gw-ed25519.tessera.test",
        "ee-p256",
        "gw-p256.tessera.test",
        "root-ca.crt.pem",
    );
    p.drive_until_established(Duration::from_secs(5));
    assert_eq!(auth_methods(&p, true), vec![AuthMethod::DigitalSignature]);
    assert_eq!(auth_methods(&p, false), vec![AuthMethod::DigitalSignature]);
    assert_eq!(p.b.ep.list()[0].remote_id, "gw-ed25519.tessera.test");
    // The CERT payloads carry the chain (end entity first), and a CERTREQ names the CA.
    let req = p
        .decrypted
        .iter()
        .find(|d| d.0 && d.1 == ExchangeType::IkeAuth)
        .unwrap();
    let certs: Vec<_> = req
        .4
        .iter()
        .filter_map(|x| match x {
            Payload::Cert(c) => Some(c.data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0], cert("ee-ed25519.crt.pem").der());
    let init_req = &p.sent_by(true)[0];
    assert!(
        init_req
            .find_notify(NotifyType::SignatureHashAlgorithms)
            .is_some()
    );
}

#[test]
fn rsa_client_signs_with_pss() {
    let mut p = cert_pair(
        2,
        "ee-rsa",
        "gw-rsa.tessera.test",
        "ee-p256",
        "gw-p256.tessera.test",
        "root-ca.crt.pem",
    );
    p.drive_until_established(Duration::from_secs(5));
    let auth = p
        .decrypted
        .iter()
        .find(|d| d.0 && d.1 == ExchangeType::IkeAuth)
        .and_then(|d| {
            d.4.iter().find_map(|x| match x {
                Payload::Auth(a) => Some(a.data.clone()),
                _ => None,
            })
        })
        .unwrap();
    // RFC 7427: 1-octet length, then the AlgorithmIdentifier (RSASSA-PSS OID 1.2.840.113549.1.1.10).
    let oid_pss = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    assert!(
        auth[1..1 + usize::from(auth[0])]
            .windows(oid_pss.len())
            .any(|w| w == oid_pss)
    );
}

#[test]
fn untrusted_ca_is_rejected_with_authentication_failed() {
    let mut p = cert_pair(
        3,
        "ee-p256",
        "gw-p256.tessera.test",
        "ee-p384",
        "gw-p384.tessera.test",
        "other-ca.crt.pem",
    );
    p.drive_for(Duration::from_secs(5));
    assert!(p.a.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::PeerError(NotifyType::AuthenticationFailed),
            ..
        }
    )));
    assert_eq!(p.b.ep.sa_count(), 0);
}

#[test]
fn identity_not_in_the_certificate_is_rejected() {
    // The client claims an ID its certificate does not carry.
    let mut p = cert_pair(
        4,
        "ee-p256",
        "someone-else.tessera.test",
        "ee-p384",
        "gw-p384.tessera.test",
        "root-ca.crt.pem",
    );
    p.drive_for(Duration::from_secs(5));
    assert!(p.a.ep.list().is_empty());
    assert!(p.b.events.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: SaError::Protocol(_),
            ..
        }
    )));
}

#[test]
fn expired_certificate_is_rejected() {
    let (mut a, mut b) = default_conns();
    a.local_id = ike_proto::Identity::parse("gw-p256.tessera.test").unwrap();
    a.local_auth = AuthConfig::PubKey(PubKeyAuth {
        certs: vec![cert("ee-short.crt.pem"), cert("int-ca.crt.pem")],
        key: Some(Arc::new(
            SigningKey::from_pem(&td("ee-p256.key.pem")).unwrap(),
        )),
        cas: vec![],
    });
    a.remote_id = Some(ike_proto::Identity::parse("gw-p384.tessera.test").unwrap());
    a.remote_auth = remote_pubkey("root-ca.crt.pem");
    b.local_id = ike_proto::Identity::parse("gw-p384.tessera.test").unwrap();
    b.local_auth = local_pubkey("ee-p384");
    b.remote_auth = remote_pubkey("root-ca.crt.pem");
    let cfg = test_endpoint_config();
    let mut p = Pair::with_config_at(5, a, b, cfg.clone(), cfg, CERT_TIME); // ee-short lasted one day
    p.a.ep.initiate(p.now, "home").unwrap();
    p.drive_for(Duration::from_secs(5));
    assert!(
        p.a.ep.list().is_empty(),
        "expired client certificate refused"
    );
}

#[test]
fn resumption_after_certificate_authentication_needs_no_certificates() {
    use rand_core::SeedableRng;
    let mut p = cert_pair(
        6,
        "ee-p256",
        "gw-p256.tessera.test",
        "ee-p384",
        "gw-p384.tessera.test",
        "root-ca.crt.pem",
    );
    let ring = ike_proto::ticket::TicketKeyRing::generate(
        CERT_TIME,
        3600,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(5),
    );
    p.b.ep.set_ticket_keys(ring);
    p.drive_until_established(Duration::from_secs(5));
    p.a.ep.suspend(p.now, "home").unwrap();
    p.a.ep.resume(p.now, "home").unwrap();
    p.drive_until_established(Duration::from_secs(5));
    let l = p.a.ep.list();
    assert!(l[0].resumed && l[0].state == SaState::Established);
    assert_eq!(
        auth_methods(&p, true).last(),
        Some(&AuthMethod::SharedKeyMic)
    );
    let last_req = p
        .decrypted
        .iter()
        .rev()
        .find(|d| d.0 && d.1 == ExchangeType::IkeAuth)
        .unwrap();
    assert!(!last_req.4.iter().any(|x| matches!(x, Payload::Cert(_))));
}
