//! Certificates: parsing, identity matching (RFC 4945 §3.1) and chain validation, on the
//! openssl-made PKI in `testdata/` (root CA → intermediate CA → end entities; see gen.sh).

use std::net::IpAddr;

use ike_crypto::CryptoError;
use ike_crypto::cert::{Certificate, TrustAnchors};
use ike_crypto::sig::{SignatureScheme, SigningKey, sign_auth, verify_auth};
use ike_wire::{AuthMethod, IdType};

fn td_str(name: &str) -> String {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cert(name: &str) -> Certificate {
    let mut v = Certificate::from_pem(&td_str(name)).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn roots() -> TrustAnchors {
    TrustAnchors::new(&[cert("root-ca.crt.pem")]).unwrap()
}

/// A moment inside every fixture's validity: an hour after the end entity was issued.
fn now_for(c: &Certificate) -> u64 {
    u64::try_from(c.not_before_unix()).unwrap() + 3600
}

fn reason(r: Result<(), CryptoError>) -> String {
    match r {
        Err(CryptoError::Certificate(s)) => s,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn chains_to_root_through_intermediate() {
    let int = cert("int-ca.crt.pem");
    for ee in [
        "ee-p256.crt.pem",
        "ee-p384.crt.pem",
        "ee-rsa.crt.pem",
        "ee-ed25519.crt.pem",
    ] {
        let ee = cert(ee);
        assert_eq!(
            roots().verify_chain(&ee, std::slice::from_ref(&int), now_for(&ee)),
            Ok(())
        );
    }
}

#[test]
fn missing_intermediate_fails() {
    let ee = cert("ee-p256.crt.pem");
    let why = reason(roots().verify_chain(&ee, &[], now_for(&ee)));
    assert!(why.contains("UnknownIssuer"), "{why}");
    // Irrelevant extra certificates do not help.
    let why = reason(roots().verify_chain(&ee, &[cert("ee-rsa.crt.pem")], now_for(&ee)));
    assert!(why.contains("UnknownIssuer"), "{why}");
}

#[test]
fn wrong_ca_fails() {
    let ee = cert("ee-p256.crt.pem");
    let int = cert("int-ca.crt.pem");
    let other = TrustAnchors::new(&[cert("other-ca.crt.pem")]).unwrap();
    assert!(
        other
            .verify_chain(&ee, std::slice::from_ref(&int), now_for(&ee))
            .is_err()
    );
    // A certificate from the unrelated CA does not chain to our root.
    let foreign = cert("ee-other.crt.pem");
    assert!(
        roots()
            .verify_chain(&foreign, std::slice::from_ref(&int), now_for(&foreign))
            .is_err()
    );
    // Both roots configured: each chain finds its own.
    let both = TrustAnchors::new(&[cert("other-ca.crt.pem"), cert("root-ca.crt.pem")]).unwrap();
    assert_eq!(
        both.verify_chain(&ee, std::slice::from_ref(&int), now_for(&ee)),
        Ok(())
    );
    assert_eq!(both.verify_chain(&foreign, &[], now_for(&foreign)), Ok(()));
}

#[test]
fn expiry_and_not_yet_valid() {
    let short = cert("ee-short.crt.pem");
    let int = [cert("int-ca.crt.pem")];
    let nb = u64::try_from(short.not_before_unix()).unwrap();
    let na = u64::try_from(short.not_after_unix()).unwrap();
    assert_eq!(na - nb, 86_400, "issued for one day");
    assert_eq!(
        roots().verify_chain(&short, &int, na),
        Ok(()),
        "notAfter is inclusive"
    );
    let why = reason(roots().verify_chain(&short, &int, na + 1));
    assert!(why.contains("CertExpired"), "{why}");
    let why = reason(roots().verify_chain(&short, &int, nb - 1));
    assert!(why.contains("CertNotValidYet"), "{why}");
    // The long-lived fixtures expire too.
    let ee = cert("ee-p256.crt.pem");
    let far = u64::try_from(ee.not_after_unix()).unwrap() + 1;
    assert!(roots().verify_chain(&ee, &int, far).is_err());
}

#[test]
fn key_usage_and_eku_profile() {
    let int = [cert("int-ca.crt.pem")];
    // keyUsage = keyAgreement only: no digitalSignature / nonRepudiation.
    let badku = cert("ee-badku.crt.pem");
    let why = reason(roots().verify_chain(&badku, &int, now_for(&badku)));
    assert!(why.contains("keyUsage"), "{why}");
    // EKU = codeSigning only.
    let codesign = cert("ee-codesign.crt.pem");
    let why = reason(roots().verify_chain(&codesign, &int, now_for(&codesign)));
    assert!(why.contains("RequiredEkuNotFound"), "{why}");
    // EKU ipsecIKE (p256), serverAuth+clientAuth (rsa) and none (ed25519) pass.
    for ok in ["ee-p256.crt.pem", "ee-rsa.crt.pem", "ee-ed25519.crt.pem"] {
        let ee = cert(ok);
        assert_eq!(
            roots().verify_chain(&ee, &int, now_for(&ee)),
            Ok(()),
            "{ok}"
        );
    }
}

#[test]
fn ca_certificate_is_not_an_end_entity() {
    let int = cert("int-ca.crt.pem");
    assert!(roots().verify_chain(&int, &[], now_for(&int)).is_err());
}

#[test]
fn san_and_subject_are_parsed() {
    let c = cert("ee-p256.crt.pem");
    assert_eq!(c.dns_names(), ["gw-p256.tessera.test"]);
    assert_eq!(c.rfc822_names(), ["p256@tessera.test"]);
    assert_eq!(
        c.ip_addresses(),
        [
            "192.0.2.10".parse::<IpAddr>().unwrap(),
            "2001:db8::10".parse::<IpAddr>().unwrap()
        ]
    );
    // Subject DER as cut out of the certificate by `openssl asn1parse` in gen.sh.
    let subject = std::fs::read(format!(
        "{}/testdata/ee-p256.subject.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(c.subject_der(), subject.as_slice());
    assert!(c.not_before_unix() < c.not_after_unix());
    assert!(c.der().len() > c.spki_der().len());
}

#[test]
fn matches_id_fqdn() {
    let c = cert("ee-p256.crt.pem");
    assert!(c.matches_id(IdType::Fqdn, b"gw-p256.tessera.test"));
    assert!(c.matches_id(IdType::Fqdn, b"GW-P256.Tessera.TEST"));
    assert!(!c.matches_id(IdType::Fqdn, b"gw-rsa.tessera.test"));
    assert!(!c.matches_id(IdType::Fqdn, b"gw-p256.tessera.test."));
    assert!(!c.matches_id(IdType::Fqdn, b"tessera.test"));
    assert!(!c.matches_id(IdType::Fqdn, b""));
    assert!(!c.matches_id(IdType::Fqdn, &[0xff, 0xfe]));
    // The same bytes under another ID type do not match.
    assert!(!c.matches_id(IdType::Rfc822Addr, b"gw-p256.tessera.test"));
    assert!(!c.matches_id(IdType::KeyId, b"gw-p256.tessera.test"));
    // The subject CN is not a dNSName: ee-short has CN=short.tessera.test, SANs of ee-p256.
    let short = cert("ee-short.crt.pem");
    assert!(!short.matches_id(IdType::Fqdn, b"short.tessera.test"));
    assert!(short.matches_id(IdType::Fqdn, b"gw-p256.tessera.test"));
}

#[test]
fn matches_id_rfc822() {
    let c = cert("ee-p256.crt.pem");
    assert!(c.matches_id(IdType::Rfc822Addr, b"p256@tessera.test"));
    assert!(
        c.matches_id(IdType::Rfc822Addr, b"p256@TESSERA.test"),
        "domain is case-insensitive"
    );
    assert!(
        !c.matches_id(IdType::Rfc822Addr, b"P256@tessera.test"),
        "local part is exact"
    );
    assert!(!c.matches_id(IdType::Rfc822Addr, b"p384@tessera.test"));
    assert!(!c.matches_id(IdType::Rfc822Addr, b"tessera.test"));
    let rsa = cert("ee-rsa.crt.pem");
    assert!(rsa.matches_id(IdType::Rfc822Addr, b"Admin@rsa.tessera.test"));
    assert!(!rsa.matches_id(IdType::Rfc822Addr, b"admin@rsa.tessera.test"));
}

#[test]
fn matches_id_ip() {
    let c = cert("ee-p256.crt.pem");
    assert!(c.matches_id(IdType::Ipv4Addr, &[192, 0, 2, 10]));
    assert!(!c.matches_id(IdType::Ipv4Addr, &[192, 0, 2, 11]));
    assert!(!c.matches_id(IdType::Ipv4Addr, &[192, 0, 2, 10, 0]));
    assert!(!c.matches_id(IdType::Ipv4Addr, &[192, 0, 2]));
    let v6: std::net::Ipv6Addr = "2001:db8::10".parse().unwrap();
    assert!(c.matches_id(IdType::Ipv6Addr, &v6.octets()));
    let v6b: std::net::Ipv6Addr = "2001:db8::11".parse().unwrap();
    assert!(!c.matches_id(IdType::Ipv6Addr, &v6b.octets()));
    // An IPv4 address under ID_IPV6_ADDR (and vice versa) never matches.
    assert!(!c.matches_id(IdType::Ipv6Addr, &[192, 0, 2, 10]));
    assert!(!c.matches_id(IdType::Ipv4Addr, &v6.octets()));
    // ee-ed25519 has only an IPv6 SAN.
    let ed = cert("ee-ed25519.crt.pem");
    let v6e: std::net::Ipv6Addr = "2001:db8::12".parse().unwrap();
    assert!(ed.matches_id(IdType::Ipv6Addr, &v6e.octets()));
    assert!(!ed.matches_id(IdType::Ipv4Addr, &[192, 0, 2, 10]));
}

#[test]
fn matches_id_der_asn1_dn() {
    let c = cert("ee-p256.crt.pem");
    let subject = std::fs::read(format!(
        "{}/testdata/ee-p256.subject.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(c.matches_id(IdType::DerAsn1Dn, &subject));
    let mut other = subject.clone();
    *other.last_mut().unwrap() ^= 0x20; // last CN letter, different case: not byte-equal
    assert!(!c.matches_id(IdType::DerAsn1Dn, &other));
    assert!(!c.matches_id(IdType::DerAsn1Dn, &subject[..subject.len() - 1]));
    assert!(!c.matches_id(IdType::DerAsn1Dn, b""));
    // The intermediate's DN is ee-p256's issuer, not its subject.
    assert!(!c.matches_id(IdType::DerAsn1Dn, cert("int-ca.crt.pem").subject_der()));
    // ID_DER_ASN1_GN and others are not matched.
    assert!(!c.matches_id(IdType::DerAsn1Gn, &subject));
}

#[test]
fn pem_and_der_parsing() {
    let bundle = td_str("ee-rsa.crt.pem") + &td_str("int-ca.crt.pem");
    let v = Certificate::from_pem(&bundle).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0], cert("ee-rsa.crt.pem"));
    assert_eq!(v[1], cert("int-ca.crt.pem"));
    assert!(matches!(
        Certificate::from_pem("nothing"),
        Err(CryptoError::Certificate(_))
    ));
    assert!(matches!(
        Certificate::from_pem(&td_str("ee-rsa.key.pem")),
        Err(CryptoError::Certificate(_))
    ));
    let der = cert("ee-p256.crt.pem").der().to_vec();
    assert_eq!(
        Certificate::from_der(der.clone()).unwrap().der(),
        der.as_slice()
    );
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(Certificate::from_der(trailing).is_err());
    assert!(Certificate::from_der(der[..der.len() - 1].to_vec()).is_err());
    assert!(Certificate::from_der(Vec::new()).is_err());
    assert!(TrustAnchors::new(&[]).is_err());
}

#[test]
fn full_peer_authentication_flow() {
    // Responder side: validate the CERT chain, bind IDr, verify AUTH with the certificate key.
    let ee = cert("ee-rsa.crt.pem");
    let int = cert("int-ca.crt.pem");
    roots().verify_chain(&ee, &[int], now_for(&ee)).unwrap();
    assert!(ee.matches_id(IdType::Fqdn, b"gw-rsa.tessera.test"));
    let key = SigningKey::from_pem(&td_str("ee-rsa.key.pem")).unwrap();
    let octets = b"signed octets";
    let auth = sign_auth(
        &key,
        AuthMethod::DigitalSignature,
        SignatureScheme::RsaPssSha384,
        octets,
    )
    .unwrap();
    assert_eq!(
        verify_auth(
            ee.spki_der(),
            AuthMethod::DigitalSignature,
            &auth,
            octets,
            SignatureScheme::ALL
        ),
        Ok(())
    );
    // The same AUTH does not verify with another certificate's key.
    let p256 = cert("ee-p256.crt.pem");
    assert!(
        verify_auth(
            p256.spki_der(),
            AuthMethod::DigitalSignature,
            &auth,
            octets,
            SignatureScheme::ALL
        )
        .is_err()
    );
}
