//! strongSwan proposal syntax: `encr-…-integ-…-prf-…-dh-…`, e.g. `aes256gcm16-prfsha256-x25519`.
//!
//! As in strongSwan, in an IKE proposal an integrity keyword (`sha256`) also implies the PRF of
//! the same hash when no `prf…` keyword is given, and a string that lists both AEAD and
//! non-AEAD ciphers becomes two proposals (AEAD first), because one proposal cannot mix them.

use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg};
use ike_proto::{EspProposal, IkeProposal};

/// The IKE proposals used when a connection lists none.
pub(crate) const DEFAULT_IKE: &str = "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048-aes256-aes128-sha256-sha384-sha512";
/// The ESP proposals used when a child lists none.
pub(crate) const DEFAULT_ESP: &str =
    "aes256gcm16-aes128gcm16-chacha20poly1305-aes256-aes128-sha256-sha384-sha512";

enum Token {
    Encr(EncrAlg),
    Integ(IntegAlg),
    Prf(PrfAlg),
    Dh(DhAlg),
    NoEsn,
}

fn token(t: &str) -> Result<Token, String> {
    use Token::*;
    Ok(match t.to_ascii_lowercase().as_str() {
        "aes128" => Encr(EncrAlg::AesCbc128),
        "aes256" => Encr(EncrAlg::AesCbc256),
        "aes128gcm16" | "aes128gcm" => Encr(EncrAlg::AesGcm16_128),
        "aes256gcm16" | "aes256gcm" => Encr(EncrAlg::AesGcm16_256),
        "chacha20poly1305" => Encr(EncrAlg::ChaCha20Poly1305),
        "sha256" | "sha2_256" => Integ(IntegAlg::HmacSha256_128),
        "sha384" | "sha2_384" => Integ(IntegAlg::HmacSha384_192),
        "sha512" | "sha2_512" => Integ(IntegAlg::HmacSha512_256),
        "prfsha256" | "prfsha2_256" => Prf(PrfAlg::HmacSha256),
        "prfsha384" | "prfsha2_384" => Prf(PrfAlg::HmacSha384),
        "prfsha512" | "prfsha2_512" => Prf(PrfAlg::HmacSha512),
        "x25519" | "curve25519" => Dh(DhAlg::Curve25519),
        "ecp256" => Dh(DhAlg::Ecp256),
        "ecp384" => Dh(DhAlg::Ecp384),
        "modp2048" => Dh(DhAlg::Modp2048),
        "noesn" => NoEsn,
        "esn" => return Err("extended sequence numbers (esn) are not supported".into()),
        "" => return Err("empty algorithm name (doubled '-'?)".into()),
        other => return Err(format!("unknown algorithm {other:?}")),
    })
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn prf_of(i: IntegAlg) -> PrfAlg {
    match i {
        IntegAlg::HmacSha256_128 => PrfAlg::HmacSha256,
        IntegAlg::HmacSha384_192 => PrfAlg::HmacSha384,
        IntegAlg::HmacSha512_256 => PrfAlg::HmacSha512,
    }
}

#[derive(Default)]
struct Parts {
    aead: Vec<EncrAlg>,
    plain: Vec<EncrAlg>,
    integ: Vec<IntegAlg>,
    prf: Vec<PrfAlg>,
    dh: Vec<DhAlg>,
}

fn split(s: &str, esp: bool) -> Result<Parts, String> {
    let expanded = match (s, esp) {
        ("default", false) => DEFAULT_IKE,
        ("default", true) => DEFAULT_ESP,
        _ => s,
    };
    let mut p = Parts::default();
    for t in expanded.split('-') {
        match token(t).map_err(|e| format!("{e} in proposal {s:?}"))? {
            Token::Encr(e) if e.is_aead() => push(&mut p.aead, e),
            Token::Encr(e) => push(&mut p.plain, e),
            Token::Integ(i) => push(&mut p.integ, i),
            Token::Prf(_) if esp => {
                return Err(format!("a PRF is not allowed in ESP proposal {s:?}"));
            }
            Token::Prf(f) => push(&mut p.prf, f),
            Token::Dh(d) => push(&mut p.dh, d),
            Token::NoEsn if esp => {}
            Token::NoEsn => return Err(format!("noesn is only valid in ESP proposals ({s:?})")),
        }
    }
    if p.aead.is_empty() && p.plain.is_empty() {
        return Err(format!("proposal {s:?} has no encryption algorithm"));
    }
    if !p.plain.is_empty() && p.integ.is_empty() {
        return Err(format!(
            "proposal {s:?} has a non-AEAD cipher but no integrity algorithm (add e.g. sha256)"
        ));
    }
    if p.plain.is_empty() && !p.integ.is_empty() && esp {
        return Err(format!(
            "proposal {s:?} lists an integrity algorithm with only AEAD ciphers"
        ));
    }
    Ok(p)
}

/// Parse one IKE proposal string into one or two engine proposals.
pub fn parse_ike(s: &str) -> Result<Vec<IkeProposal>, String> {
    let p = split(s, false)?;
    let prf = if p.prf.is_empty() {
        let mut v = Vec::new();
        for i in &p.integ {
            push(&mut v, prf_of(*i));
        }
        v
    } else {
        p.prf
    };
    if prf.is_empty() {
        return Err(format!(
            "IKE proposal {s:?} has no PRF (add e.g. prfsha256)"
        ));
    }
    if p.dh.is_empty() {
        return Err(format!(
            "IKE proposal {s:?} has no key exchange group (add e.g. x25519)"
        ));
    }
    let mut out = Vec::new();
    if !p.aead.is_empty() {
        out.push(IkeProposal {
            encr: p.aead,
            prf: prf.clone(),
            integ: Vec::new(),
            dh: p.dh.clone(),
        });
    }
    if !p.plain.is_empty() {
        out.push(IkeProposal {
            encr: p.plain,
            prf,
            integ: p.integ,
            dh: p.dh,
        });
    }
    Ok(out)
}

/// Parse one ESP proposal string into one or two engine proposals (DH groups mean PFS).
pub fn parse_esp(s: &str) -> Result<Vec<EspProposal>, String> {
    let p = split(s, true)?;
    let mut out = Vec::new();
    if !p.aead.is_empty() {
        out.push(EspProposal {
            encr: p.aead,
            integ: Vec::new(),
            dh: p.dh.clone(),
        });
    }
    if !p.plain.is_empty() {
        out.push(EspProposal {
            encr: p.plain,
            integ: p.integ,
            dh: p.dh,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ike_aead_with_prf() {
        let v = parse_ike("aes256gcm16-prfsha256-x25519").unwrap();
        assert_eq!(
            v,
            vec![IkeProposal {
                encr: vec![EncrAlg::AesGcm16_256],
                prf: vec![PrfAlg::HmacSha256],
                integ: vec![],
                dh: vec![DhAlg::Curve25519],
            }]
        );
    }

    #[test]
    fn ike_cbc_implies_prf() {
        let v = parse_ike("aes128-sha256-ecp256").unwrap();
        assert_eq!(
            v,
            vec![IkeProposal {
                encr: vec![EncrAlg::AesCbc128],
                prf: vec![PrfAlg::HmacSha256],
                integ: vec![IntegAlg::HmacSha256_128],
                dh: vec![DhAlg::Ecp256],
            }]
        );
    }

    #[test]
    fn ike_mixed_splits_aead_first() {
        let v = parse_ike("aes128-aes256gcm16-sha384-modp2048-curve25519").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].encr, vec![EncrAlg::AesGcm16_256]);
        assert!(v[0].integ.is_empty());
        assert_eq!(v[0].prf, vec![PrfAlg::HmacSha384]);
        assert_eq!(v[1].encr, vec![EncrAlg::AesCbc128]);
        assert_eq!(v[1].integ, vec![IntegAlg::HmacSha384_192]);
        assert_eq!(v[1].dh, vec![DhAlg::Modp2048, DhAlg::Curve25519]);
    }

    #[test]
    fn defaults_parse() {
        assert_eq!(parse_ike("default").unwrap().len(), 2);
        assert_eq!(parse_esp("default").unwrap().len(), 2);
    }

    #[test]
    fn esp() {
        let v = parse_esp("aes128gcm16").unwrap();
        assert_eq!(v[0].encr, vec![EncrAlg::AesGcm16_128]);
        assert!(v[0].dh.is_empty());
        let v = parse_esp("aes128-sha256-ecp256-noesn").unwrap();
        assert_eq!(v[0].integ, vec![IntegAlg::HmacSha256_128]);
        assert_eq!(v[0].dh, vec![DhAlg::Ecp256]);
    }

    #[test]
    fn errors() {
        let cases: &[(&str, bool, &str)] = &[
            (
                "aes999-sha256-x25519",
                false,
                "unknown algorithm \"aes999\"",
            ),
            ("aes128--sha256-x25519", false, "empty algorithm"),
            ("sha256-x25519", false, "no encryption"),
            ("aes128-x25519", false, "no integrity"),
            ("aes128gcm16-x25519", false, "no PRF"),
            ("aes128gcm16-prfsha256", false, "no key exchange"),
            (
                "aes128gcm16-prfsha256-x25519-noesn",
                false,
                "only valid in ESP",
            ),
            ("aes128gcm16-prfsha256", true, "PRF is not allowed"),
            (
                "aes128gcm16-sha256",
                true,
                "integrity algorithm with only AEAD",
            ),
            ("aes128-sha256-esn", true, "not supported"),
            ("aes128", true, "no integrity"),
        ];
        for (s, esp, want) in cases {
            let e = if *esp {
                parse_esp(s).map(|_| ()).unwrap_err()
            } else {
                parse_ike(s).map(|_| ()).unwrap_err()
            };
            assert!(e.contains(want), "{s}: {e:?} lacks {want:?}");
        }
    }
}
