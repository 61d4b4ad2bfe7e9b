//! The committed corpus must be exactly what [`all`] builds, and every seed must reach
//! the deep end of its target (parse, open, agree), or it seeds nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ike_crypto::dh::KeyExchange;
use ike_crypto::sk::{open, open_fragment};
use ike_wire::{Message, Payload, PayloadType, find_encrypted_payload, parse_payload_chain};

use crate::fixtures::{CHACHA_SUITE, DH_GROUPS, dh_private, group_index, sk_keys, suite_index};
use crate::seeds::{
    RFC7634_MESSAGE, RFC7634_PLAINTEXT, all, chains, dh_seeds, messages, sk_open_seeds,
};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

#[test]
fn committed_corpus_matches_generator() {
    let seeds = all();
    let regen = std::env::var_os("TESSERA_REGEN_CORPUS").is_some_and(|v| v == "1");
    let targets: BTreeSet<&str> = seeds.iter().map(|s| s.target).collect();
    if regen {
        for t in &targets {
            let dir = corpus_dir().join(t);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        for s in &seeds {
            std::fs::write(corpus_dir().join(s.target).join(&s.name), &s.data).unwrap();
        }
    }
    for t in &targets {
        let on_disk: BTreeSet<String> = std::fs::read_dir(corpus_dir().join(t))
            .unwrap_or_else(|e| panic!("corpus/{t}: {e}; run with TESSERA_REGEN_CORPUS=1"))
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        let expected: BTreeSet<String> = seeds
            .iter()
            .filter(|s| s.target == *t)
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(
            on_disk, expected,
            "corpus/{t} file set; TESSERA_REGEN_CORPUS=1"
        );
    }
    for s in &seeds {
        let got = std::fs::read(corpus_dir().join(s.target).join(&s.name)).unwrap();
        assert_eq!(
            got, s.data,
            "corpus/{}/{} is stale (the engine's messages changed?); regenerate with TESSERA_REGEN_CORPUS=1",
            s.target, s.name
        );
    }
}

#[test]
fn seed_names_are_unique_per_target() {
    let seeds = all();
    let names: BTreeSet<(&str, &str)> = seeds.iter().map(|s| (s.target, s.name.as_str())).collect();
    assert_eq!(names.len(), seeds.len());
}

#[test]
fn message_seeds_parse_and_protected_ones_open() {
    for (name, data) in messages() {
        let msg = Message::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(msg.emit(), data, "{name} is canonical");
        let sk = find_encrypted_payload(&data).unwrap();
        let protected = matches!(
            msg.payloads.last(),
            Some(Payload::Encrypted(_) | Payload::EncryptedFragment(_))
        );
        assert_eq!(sk.is_some(), protected, "{name}");
    }
}

#[test]
fn chain_seeds_parse() {
    for (name, data) in chains() {
        let p = parse_payload_chain(PayloadType::from(data[0]), &data[1..])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.is_empty(), "{name}");
    }
}

#[test]
fn sk_open_seeds_open_with_the_fixed_keys() {
    for (name, data) in sk_open_seeds() {
        let keys = sk_keys(suite_index(data[0]));
        let msg = &data[1..];
        let off = find_encrypted_payload(msg).unwrap().unwrap();
        let plain = match open(&keys, msg, off) {
            Ok((first, plain)) => (first, plain),
            Err(_) => {
                let (first, _, _, plain) =
                    open_fragment(&keys, msg, off).unwrap_or_else(|e| panic!("{name}: {e}"));
                (first, plain)
            }
        };
        parse_payload_chain(PayloadType::from(plain.0), plain.1.expose())
            .unwrap_or_else(|e| panic!("{name} inner chain: {e}"));
    }
    // The RFC 7634 seed decrypts to the RFC's plaintext.
    let (first, plain) = open(&sk_keys(CHACHA_SUITE), &RFC7634_MESSAGE, 28).unwrap();
    assert_eq!(first, 41);
    assert_eq!(plain.expose(), RFC7634_PLAINTEXT);
}

#[test]
fn dh_peer_seeds_agree_and_edge_seeds_are_refused() {
    for (name, data) in dh_seeds() {
        let alg = DH_GROUPS[group_index(data[0])];
        let kx = KeyExchange::from_private(alg, dh_private(alg)).unwrap();
        let r = kx.compute_shared(&data[1..]);
        let edge = name.ends_with("above_p") || name.ends_with("low_order");
        assert_eq!(r.is_err(), edge, "{name}");
    }
}
