//! Signature AUTH (RFC 7296 §3.8, RFC 4754, RFC 7427, RFC 8420): round trips per method and
//! scheme, negative cases, RFC 7427 Appendix A bytes, and signatures made by `openssl` (see
//! `testdata/gen.sh`).

use hex_literal::hex;
use ike_crypto::CryptoError;
use ike_crypto::cert::Certificate;
use ike_crypto::sig::{
    HashAlgorithm, KeyKind, SignatureScheme, SigningKey, sign_auth, verify_auth,
};
use ike_wire::AuthMethod;

fn td(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn td_str(name: &str) -> String {
    String::from_utf8(td(name)).unwrap()
}

fn key(name: &str) -> SigningKey {
    SigningKey::from_pem(&td_str(name)).unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&td_str(name)).unwrap().remove(0)
}

/// (key file, certificate file, the schemes the key can sign with in method 14)
const KEYS: &[(&str, &str, &[SignatureScheme])] = &[
    (
        "ee-p256.key.pem",
        "ee-p256.crt.pem",
        &[SignatureScheme::EcdsaP256Sha256],
    ),
    (
        "ee-p384.key.pem",
        "ee-p384.crt.pem",
        &[SignatureScheme::EcdsaP384Sha384],
    ),
    (
        "ee-rsa.key.pem",
        "ee-rsa.crt.pem",
        &[
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPkcs1Sha384,
            SignatureScheme::RsaPkcs1Sha512,
            SignatureScheme::RsaPssSha256,
            SignatureScheme::RsaPssSha384,
            SignatureScheme::RsaPssSha512,
        ],
    ),
    (
        "ee-ed25519.key.pem",
        "ee-ed25519.crt.pem",
        &[SignatureScheme::Ed25519],
    ),
];

const OCTETS: &[u8] = b"RealMessage1 | NonceRData | prf(SK_pi, IDi') stand-in";

fn flip_last(mut v: Vec<u8>) -> Vec<u8> {
    *v.last_mut().unwrap() ^= 0x01;
    v
}

#[test]
fn algorithm_identifiers_are_the_rfc_bytes() {
    // RFC 7427 Appendix A.1.2-A.1.4, A.3.2-A.3.3, A.4.3 and RFC 8420 A.1, transcribed from the
    // RFC hex dumps.
    use SignatureScheme::*;
    let cases: &[(SignatureScheme, &[u8])] = &[
        (RsaPkcs1Sha1, &hex!("300d 0609 2a86 4886 f70d 0101 0505 00")),
        (
            RsaPkcs1Sha256,
            &hex!("300d 0609 2a86 4886 f70d 0101 0b05 00"),
        ),
        (
            RsaPkcs1Sha384,
            &hex!("300d 0609 2a86 4886 f70d 0101 0c05 00"),
        ),
        (
            RsaPkcs1Sha512,
            &hex!("300d 0609 2a86 4886 f70d 0101 0d05 00"),
        ),
        (EcdsaP256Sha256, &hex!("300a 0608 2a86 48ce 3d04 0302")),
        (EcdsaP384Sha384, &hex!("300a 0608 2a86 48ce 3d04 0303")),
        (
            RsaPssSha256,
            &hex!(
                "3046 0609 2a86 4886 f70d 0101 0a30 39a0"
                "0f30 0d06 0960 8648 0165 0304 0201 0500"
                "a11c 301a 0609 2a86 4886 f70d 0101 0830"
                "0d06 0960 8648 0165 0304 0201 0500 a203"
                "0201 20a3 0302 0101"
            ),
        ),
        (Ed25519, &hex!("3005 0603 2B65 70")),
    ];
    for (scheme, bytes) in cases {
        assert_eq!(scheme.algorithm_identifier(), *bytes, "{scheme:?}");
    }
}

#[test]
fn every_algorithm_identifier_parses_back_to_its_scheme() {
    for &s in SignatureScheme::ALL {
        let id = s.algorithm_identifier();
        assert!(id.len() < 256);
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(id),
            Ok(s),
            "{s:?}"
        );
    }
}

#[test]
fn alternative_algorithm_identifier_encodings() {
    // strongSwan omits the DEFAULT trailerField (DER proper): same scheme.
    let pss_no_trailer = hex!(
        "3041 0609 2a86 4886 f70d 0101 0a30 34a0"
        "0f30 0d06 0960 8648 0165 0304 0201 0500"
        "a11c 301a 0609 2a86 4886 f70d 0101 0830"
        "0d06 0960 8648 0165 0304 0201 0500 a203"
        "0201 20"
    );
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&pss_no_trailer),
        Ok(SignatureScheme::RsaPssSha256)
    );
    // sha256WithRSAEncryption with the NULL parameters left out (RFC 7427 §3 dual encoding).
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&hex!("300b 0609 2a86 4886 f70d 0101 0b")),
        Ok(SignatureScheme::RsaPkcs1Sha256)
    );
    // RFC 7427 A.4.2, PSS with SHA-1 defaults: refused.
    let pss_sha1 = hex!(
        "303e 0609 2a86 4886 f70d 0101 0a30 31a0"
        "0b30 0906 052b 0e03 021a 0500 a118 3016"
        "0609 2a86 4886 f70d 0101 0830 0906 052b"
        "0e03 021a 0500 a203 0201 14a3 0302 0101"
    );
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&pss_sha1),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    // RFC 7427 A.4.1, PSS with empty parameters (= SHA-1 defaults): refused.
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&hex!("300d 0609 2a86 4886 f70d 0101 0a30 00")),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    // PSS-SHA256 with salt 20 instead of 32.
    let mut salt20 = SignatureScheme::RsaPssSha256
        .algorithm_identifier()
        .to_vec();
    salt20[66] = 0x14;
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&salt20),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    // ecdsa-with-SHA512 (A.3.4), dsa-with-sha256 (A.2.2): not implemented.
    for id in [
        &hex!("300a 0608 2a86 48ce 3d04 0304")[..],
        &hex!("300b 0609 6086 4801 6503 0403 02"),
    ] {
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(id),
            Err(CryptoError::UnsupportedAlgorithm)
        );
    }
    // Trailing byte, truncation, garbage.
    let mut trailing = SignatureScheme::EcdsaP256Sha256
        .algorithm_identifier()
        .to_vec();
    trailing.push(0);
    for bad in [&trailing[..], &trailing[..5], &[], &[0xff; 7]] {
        assert!(matches!(
            SignatureScheme::from_algorithm_identifier(bad),
            Err(CryptoError::Malformed(_))
        ));
    }
}

#[test]
fn signing_key_spki_matches_openssl_certificate() {
    for (k, c, _) in KEYS {
        assert_eq!(key(k).public_key_spki_der(), cert(c).spki_der(), "{k}");
    }
}

#[test]
fn signing_key_kinds_and_pem_labels() {
    assert_eq!(key("ee-p256.key.pem").kind(), KeyKind::EcdsaP256);
    assert_eq!(key("ee-p384.key.pem").kind(), KeyKind::EcdsaP384);
    assert_eq!(key("ee-rsa.key.pem").kind(), KeyKind::Rsa);
    assert_eq!(key("ee-ed25519.key.pem").kind(), KeyKind::Ed25519);
    // SEC1 "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY" give the same keys.
    let sec1 = td_str("ee-p256.sec1.pem");
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"));
    assert_eq!(
        SigningKey::from_pem(&sec1).unwrap().public_key_spki_der(),
        key("ee-p256.key.pem").public_key_spki_der()
    );
    let pkcs1 = td_str("ee-rsa.pkcs1.pem");
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    assert_eq!(
        SigningKey::from_pem(&pkcs1).unwrap().public_key_spki_der(),
        key("ee-rsa.key.pem").public_key_spki_der()
    );
    // Debug shows the type only.
    assert_eq!(
        format!("{:?}", key("ee-p256.key.pem")),
        "SigningKey { kind: EcdsaP256, .. }"
    );
}

#[test]
fn bad_private_keys_are_rejected() {
    assert!(SigningKey::from_pem("no pem here").is_err());
    assert!(SigningKey::from_pem(&td_str("ee-p256.crt.pem")).is_err());
    assert!(SigningKey::from_pkcs8_der(&[]).is_err());
    assert!(SigningKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
    let pem = td_str("ee-p256.key.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let truncated = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        &b64[..b64.len() / 2 / 4 * 4]
    );
    assert!(SigningKey::from_pem(&truncated).is_err());
}

#[test]
fn method_14_round_trip_every_scheme() {
    for (k, c, schemes) in KEYS {
        let key = key(k);
        let spki = cert(c).spki_der().to_vec();
        for &scheme in *schemes {
            let auth = sign_auth(&key, AuthMethod::DigitalSignature, scheme, OCTETS).unwrap();
            let id = scheme.algorithm_identifier();
            assert_eq!(usize::from(auth[0]), id.len());
            assert_eq!(&auth[1..1 + id.len()], id);
            let allowed = SignatureScheme::ALL;
            let m = AuthMethod::DigitalSignature;
            assert_eq!(
                verify_auth(&spki, m, &auth, OCTETS, allowed),
                Ok(()),
                "{scheme:?}"
            );
            assert_eq!(
                verify_auth(&spki, m, &auth, b"other octets", allowed),
                Err(CryptoError::AuthenticationFailed),
                "{scheme:?}"
            );
            assert_eq!(
                verify_auth(&spki, m, &flip_last(auth.clone()), OCTETS, allowed),
                Err(CryptoError::AuthenticationFailed),
                "{scheme:?}"
            );
            // The same AUTH data against another key of the same type fails too.
            if key.kind() == KeyKind::EcdsaP256 {
                let other = cert("ee-badku.crt.pem");
                assert_eq!(
                    verify_auth(other.spki_der(), m, &auth, OCTETS, allowed),
                    Err(CryptoError::AuthenticationFailed)
                );
            }
        }
    }
}

#[test]
fn method_14_scheme_outside_allowed_fails() {
    let rsa = key("ee-rsa.key.pem");
    let spki = cert("ee-rsa.crt.pem").spki_der().to_vec();
    let m = AuthMethod::DigitalSignature;
    let auth = sign_auth(&rsa, m, SignatureScheme::RsaPkcs1Sha256, OCTETS).unwrap();
    // We announced only SHA2-384 and SHA2-512.
    let allowed = SignatureScheme::for_hashes(&[HashAlgorithm::Sha384, HashAlgorithm::Sha512]);
    assert!(!allowed.contains(&SignatureScheme::RsaPkcs1Sha256));
    assert!(matches!(
        verify_auth(&spki, m, &auth, OCTETS, &allowed),
        Err(CryptoError::Signature(_))
    ));
    // Allowed PSS, but the peer used PKCS#1 v1.5 with the same hash.
    assert!(matches!(
        verify_auth(&spki, m, &auth, OCTETS, &[SignatureScheme::RsaPssSha256]),
        Err(CryptoError::Signature(_))
    ));
    let ed = key("ee-ed25519.key.pem");
    let ed_spki = cert("ee-ed25519.crt.pem").spki_der().to_vec();
    let auth = sign_auth(&ed, m, SignatureScheme::Ed25519, OCTETS).unwrap();
    let no_identity = SignatureScheme::for_hashes(&[HashAlgorithm::Sha256]);
    assert!(matches!(
        verify_auth(&ed_spki, m, &auth, OCTETS, &no_identity),
        Err(CryptoError::Signature(_))
    ));
    let with_identity = SignatureScheme::for_hashes(HashAlgorithm::DEFAULT_ANNOUNCED);
    assert_eq!(
        verify_auth(&ed_spki, m, &auth, OCTETS, &with_identity),
        Ok(())
    );
}

#[test]
fn method_14_algorithm_must_match_key_type() {
    let m = AuthMethod::DigitalSignature;
    let auth = sign_auth(
        &key("ee-p256.key.pem"),
        m,
        SignatureScheme::EcdsaP256Sha256,
        OCTETS,
    )
    .unwrap();
    // ECDSA AUTH checked against an RSA key, and against a P-384 key.
    for c in ["ee-rsa.crt.pem", "ee-p384.crt.pem"] {
        assert!(matches!(
            verify_auth(cert(c).spki_der(), m, &auth, OCTETS, SignatureScheme::ALL),
            Err(CryptoError::Signature(_))
        ));
    }
    // Signing with a scheme for another key type is refused.
    assert!(matches!(
        sign_auth(
            &key("ee-p256.key.pem"),
            m,
            SignatureScheme::RsaPssSha256,
            OCTETS
        ),
        Err(CryptoError::Signature(_))
    ));
    assert!(matches!(
        sign_auth(
            &key("ee-p384.key.pem"),
            m,
            SignatureScheme::EcdsaP256Sha256,
            OCTETS
        ),
        Err(CryptoError::Signature(_))
    ));
}

#[test]
fn method_14_malformed_auth_data() {
    let spki = cert("ee-p256.crt.pem").spki_der().to_vec();
    let m = AuthMethod::DigitalSignature;
    let id = SignatureScheme::EcdsaP256Sha256.algorithm_identifier();
    let mut no_sig = vec![id.len() as u8];
    no_sig.extend_from_slice(id);
    let mut long_len = no_sig.clone();
    long_len[0] = 200;
    long_len.extend_from_slice(&[0u8; 70]);
    for bad in [
        &[][..],
        &[0u8][..],
        &[12u8, 0x30][..],
        &no_sig[..],
        &long_len[..],
    ] {
        assert!(
            matches!(
                verify_auth(&spki, m, bad, OCTETS, SignatureScheme::ALL),
                Err(CryptoError::Malformed(_))
            ),
            "{bad:02x?}"
        );
    }
    // Bad SPKI.
    assert!(matches!(
        verify_auth(&[0x30, 0x00], m, &no_sig, OCTETS, SignatureScheme::ALL),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn method_1_rsa_round_trip() {
    let rsa = key("ee-rsa.key.pem");
    let spki = cert("ee-rsa.crt.pem").spki_der().to_vec();
    let m = AuthMethod::RsaSig;
    for scheme in [
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
    ] {
        let auth = sign_auth(&rsa, m, scheme, OCTETS).unwrap();
        assert_eq!(auth.len(), 256, "bare 2048-bit signature");
        assert_eq!(
            verify_auth(&spki, m, &auth, OCTETS, SignatureScheme::ALL),
            Ok(())
        );
        assert_eq!(
            verify_auth(&spki, m, &auth, &OCTETS[1..], SignatureScheme::ALL),
            Err(CryptoError::AuthenticationFailed)
        );
        assert_eq!(
            verify_auth(
                &spki,
                m,
                &flip_last(auth.clone()),
                OCTETS,
                SignatureScheme::ALL
            ),
            Err(CryptoError::AuthenticationFailed)
        );
        // The hash in the signature is not in `allowed`.
        let others: Vec<_> = SignatureScheme::ALL
            .iter()
            .copied()
            .filter(|s| *s != scheme)
            .collect();
        assert_eq!(
            verify_auth(&spki, m, &auth, OCTETS, &others),
            Err(CryptoError::AuthenticationFailed)
        );
    }
    // aws-lc-rs cannot produce SHA-1 PKCS#1 signatures; PSS has no place in method 1.
    for scheme in [SignatureScheme::RsaPkcs1Sha1, SignatureScheme::RsaPssSha256] {
        assert_eq!(
            sign_auth(&rsa, m, scheme, OCTETS),
            Err(CryptoError::UnsupportedAlgorithm)
        );
    }
    // Method 1 with an ECDSA key.
    assert!(
        sign_auth(
            &key("ee-p256.key.pem"),
            m,
            SignatureScheme::RsaPkcs1Sha256,
            OCTETS
        )
        .is_err()
    );
    assert!(matches!(
        verify_auth(
            cert("ee-p256.crt.pem").spki_der(),
            m,
            &[0u8; 256],
            OCTETS,
            SignatureScheme::ALL
        ),
        Err(CryptoError::Signature(_))
    ));
    // No PKCS#1 scheme allowed at all.
    let auth = sign_auth(&rsa, m, SignatureScheme::RsaPkcs1Sha256, OCTETS).unwrap();
    assert!(matches!(
        verify_auth(&spki, m, &auth, OCTETS, &[SignatureScheme::RsaPssSha256]),
        Err(CryptoError::Signature(_))
    ));
}

#[test]
fn methods_9_and_10_ecdsa_fixed_round_trip() {
    for (k, c, method, scheme, len) in [
        (
            "ee-p256.key.pem",
            "ee-p256.crt.pem",
            AuthMethod::EcdsaSha256P256,
            SignatureScheme::EcdsaP256Sha256,
            64,
        ),
        (
            "ee-p384.key.pem",
            "ee-p384.crt.pem",
            AuthMethod::EcdsaSha384P384,
            SignatureScheme::EcdsaP384Sha384,
            96,
        ),
    ] {
        let key = key(k);
        let spki = cert(c).spki_der().to_vec();
        let auth = sign_auth(&key, method, scheme, OCTETS).unwrap();
        assert_eq!(auth.len(), len, "r ‖ s, RFC 4754 §7");
        assert_eq!(
            verify_auth(&spki, method, &auth, OCTETS, SignatureScheme::ALL),
            Ok(())
        );
        assert_eq!(
            verify_auth(&spki, method, &auth, b"tampered", SignatureScheme::ALL),
            Err(CryptoError::AuthenticationFailed)
        );
        assert_eq!(
            verify_auth(
                &spki,
                method,
                &flip_last(auth.clone()),
                OCTETS,
                SignatureScheme::ALL
            ),
            Err(CryptoError::AuthenticationFailed)
        );
        // A DER signature where r ‖ s is expected.
        let der = sign_auth(&key, AuthMethod::DigitalSignature, scheme, OCTETS).unwrap();
        let der_sig = &der[1 + usize::from(der[0])..];
        assert_eq!(
            verify_auth(&spki, method, der_sig, OCTETS, SignatureScheme::ALL),
            Err(CryptoError::AuthenticationFailed)
        );
        // Policy without the scheme.
        assert!(matches!(
            verify_auth(
                &spki,
                method,
                &auth,
                OCTETS,
                &[SignatureScheme::RsaPssSha256]
            ),
            Err(CryptoError::Signature(_))
        ));
    }
    // Method 9 needs a P-256 key; method 10 a P-384 key.
    let p384 = key("ee-p384.key.pem");
    assert!(
        sign_auth(
            &p384,
            AuthMethod::EcdsaSha256P256,
            SignatureScheme::EcdsaP256Sha256,
            OCTETS
        )
        .is_err()
    );
    assert!(
        sign_auth(
            &p384,
            AuthMethod::EcdsaSha256P256,
            SignatureScheme::EcdsaP384Sha384,
            OCTETS
        )
        .is_err()
    );
    let auth = sign_auth(
        &p384,
        AuthMethod::EcdsaSha384P384,
        SignatureScheme::EcdsaP384Sha384,
        OCTETS,
    )
    .unwrap();
    assert!(
        verify_auth(
            cert("ee-p256.crt.pem").spki_der(),
            AuthMethod::EcdsaSha384P384,
            &auth,
            OCTETS,
            SignatureScheme::ALL
        )
        .is_err()
    );
}

#[test]
fn other_methods_are_unsupported() {
    let k = key("ee-p256.key.pem");
    let spki = k.public_key_spki_der();
    for m in [
        AuthMethod::SharedKeyMic,
        AuthMethod::DssSig,
        AuthMethod::EcdsaSha512P521,
        AuthMethod::Null,
        AuthMethod::Unknown(201),
    ] {
        assert_eq!(
            sign_auth(&k, m, SignatureScheme::EcdsaP256Sha256, OCTETS),
            Err(CryptoError::UnsupportedAlgorithm)
        );
        assert_eq!(
            verify_auth(&spki, m, &[0; 64], OCTETS, SignatureScheme::ALL),
            Err(CryptoError::UnsupportedAlgorithm)
        );
    }
}

/// Method-14 AUTH data around a signature produced elsewhere.
fn wrap14(scheme: SignatureScheme, sig: &[u8]) -> Vec<u8> {
    let id = scheme.algorithm_identifier();
    let mut v = vec![id.len() as u8];
    v.extend_from_slice(id);
    v.extend_from_slice(sig);
    v
}

#[test]
fn openssl_signatures_verify() {
    let msg = td("signed-octets.bin");
    let m14 = AuthMethod::DigitalSignature;
    let all = SignatureScheme::ALL;
    let cases = [
        (
            "ee-p256.crt.pem",
            SignatureScheme::EcdsaP256Sha256,
            "sig-openssl-p256-sha256.der",
        ),
        (
            "ee-p384.crt.pem",
            SignatureScheme::EcdsaP384Sha384,
            "sig-openssl-p384-sha384.der",
        ),
        (
            "ee-rsa.crt.pem",
            SignatureScheme::RsaPssSha256,
            "sig-openssl-rsa-pss-sha256.bin",
        ),
        (
            "ee-rsa.crt.pem",
            SignatureScheme::RsaPssSha512,
            "sig-openssl-rsa-pss-sha512.bin",
        ),
        (
            "ee-rsa.crt.pem",
            SignatureScheme::RsaPkcs1Sha256,
            "sig-openssl-rsa-pkcs1-sha256.bin",
        ),
        (
            "ee-ed25519.crt.pem",
            SignatureScheme::Ed25519,
            "sig-openssl-ed25519.bin",
        ),
    ];
    for (c, scheme, sig) in cases {
        let spki = cert(c).spki_der().to_vec();
        let auth = wrap14(scheme, &td(sig));
        assert_eq!(verify_auth(&spki, m14, &auth, &msg, all), Ok(()), "{sig}");
        let mut bad = msg.clone();
        bad[100] ^= 0x80;
        assert_eq!(
            verify_auth(&spki, m14, &auth, &bad, all),
            Err(CryptoError::AuthenticationFailed),
            "{sig}"
        );
    }
    // PSS-SHA256 signature announced as PSS-SHA512 fails.
    let spki = cert("ee-rsa.crt.pem").spki_der().to_vec();
    let mislabelled = wrap14(
        SignatureScheme::RsaPssSha512,
        &td("sig-openssl-rsa-pss-sha256.bin"),
    );
    assert_eq!(
        verify_auth(&spki, m14, &mislabelled, &msg, all),
        Err(CryptoError::AuthenticationFailed)
    );
}

#[test]
fn openssl_method_1_sha1_and_sha256() {
    let msg = td("signed-octets.bin");
    let spki = cert("ee-rsa.crt.pem").spki_der().to_vec();
    let m = AuthMethod::RsaSig;
    let sha1 = td("sig-openssl-rsa-pkcs1-sha1.bin");
    let sha256 = td("sig-openssl-rsa-pkcs1-sha256.bin");
    // RFC 7296's default SHA-1 is accepted only when the policy lists it.
    assert_eq!(
        verify_auth(&spki, m, &sha1, &msg, SignatureScheme::ALL),
        Ok(())
    );
    let no_sha1 = SignatureScheme::for_hashes(HashAlgorithm::DEFAULT_ANNOUNCED);
    assert_eq!(
        verify_auth(&spki, m, &sha1, &msg, &no_sha1),
        Err(CryptoError::AuthenticationFailed)
    );
    assert_eq!(verify_auth(&spki, m, &sha256, &msg, &no_sha1), Ok(()));
    assert_eq!(
        verify_auth(&spki, m, &sha1, &msg[1..], SignatureScheme::ALL),
        Err(CryptoError::AuthenticationFailed)
    );
}

#[test]
fn signature_hash_algorithms_notify_data() {
    assert_eq!(
        HashAlgorithm::encode_notify_data(HashAlgorithm::DEFAULT_ANNOUNCED),
        hex!("0002 0003 0004 0005")
    );
    assert_eq!(
        HashAlgorithm::decode_notify_data(&hex!("0001 0400 0002 0005 ffff")),
        Ok(vec![
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Identity
        ])
    );
    assert_eq!(HashAlgorithm::decode_notify_data(&[]), Ok(vec![]));
    assert!(matches!(
        HashAlgorithm::decode_notify_data(&hex!("0002 00")),
        Err(CryptoError::Malformed(_))
    ));
    assert_eq!(HashAlgorithm::from_id(0), None);
    assert_eq!(HashAlgorithm::Sha384.id(), 3);
}

#[test]
fn preferred_scheme_follows_peer_hashes() {
    use HashAlgorithm::*;
    let rsa = key("ee-rsa.key.pem");
    assert_eq!(
        rsa.preferred_scheme(&[Sha512, Sha256]),
        Some(SignatureScheme::RsaPssSha256)
    );
    assert_eq!(
        rsa.preferred_scheme(&[Sha512]),
        Some(SignatureScheme::RsaPssSha512)
    );
    assert_eq!(rsa.preferred_scheme(&[Sha1, Identity]), None);
    let p256 = key("ee-p256.key.pem");
    assert_eq!(
        p256.preferred_scheme(&[Sha256]),
        Some(SignatureScheme::EcdsaP256Sha256)
    );
    assert_eq!(p256.preferred_scheme(&[Sha384]), None);
    let ed = key("ee-ed25519.key.pem");
    assert_eq!(
        ed.preferred_scheme(&[Sha256, Identity]),
        Some(SignatureScheme::Ed25519)
    );
    assert_eq!(ed.preferred_scheme(&[Sha256]), None);
}

#[test]
fn scheme_hash_mapping() {
    assert_eq!(
        SignatureScheme::for_hashes(&[HashAlgorithm::Sha256]),
        vec![
            SignatureScheme::EcdsaP256Sha256,
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPssSha256
        ]
    );
    assert_eq!(
        SignatureScheme::for_hashes(&[HashAlgorithm::Identity]),
        vec![SignatureScheme::Ed25519]
    );
}
