//! The recorded seeds of the engine-level targets must still reach deep: a fresh fixture
//! responder fed them authenticates, resumes, answers cookies; the ticket opens with the fixture
//! ring; the session file and the configurations load.

use std::collections::BTreeMap;
use std::path::Path;

use ike_proto::SaState;
use ike_proto::suspend::SuspendedSession;
use ike_proto::ticket::ResumptionState;

use crate::responder::{UNIX, replay, ticket_ring};
use crate::seeds::all;

fn seeds_of(target: &str) -> BTreeMap<String, Vec<u8>> {
    all()
        .into_iter()
        .filter(|s| s.target == target)
        .map(|s| (s.name, s.data))
        .collect()
}

#[test]
fn responder_seeds_authenticate_and_resume_against_a_fresh_fixture() {
    let seeds = seeds_of("endpoint_responder");
    let established = |name: &str| {
        let ep = replay(&seeds[name]);
        ep.list()
            .into_iter()
            .filter(|s| s.state == SaState::Established)
            .collect::<Vec<_>>()
    };
    let full = established("handshake");
    assert_eq!(full.len(), 1, "the recorded IKE_AUTH authenticates");
    assert!(!full[0].resumed);
    assert_eq!(full[0].children.len(), 1);

    let more = established("handshake_then_exchanges");
    assert_eq!(more.len(), 1);
    assert_eq!(
        more[0].children.len(),
        2,
        "child rekeyed and one more created"
    );

    let resumed = established("resume");
    assert_eq!(resumed.len(), 1);
    assert!(
        resumed[0].resumed,
        "the recorded IKE_SESSION_RESUME resumes"
    );

    assert!(
        established("handshake_rekey_ike_delete").is_empty(),
        "deleted at the end"
    );
    assert!(
        established("resume_then_exchanges").is_empty(),
        "deleted at the end"
    );

    let cookie = replay(&seeds["cookie"]);
    assert!(cookie.stats().cookies_sent > 0);
    assert_eq!(
        cookie
            .list()
            .iter()
            .filter(|s| s.state == SaState::Established)
            .count(),
        1,
        "the client that returned the cookie got in"
    );
    let init = replay(&seeds["ike_sa_init"]);
    assert_eq!(init.sa_count(), 0, "the half-open SA timed out");
    assert_eq!(init.stats().init_refused, 0);
}

#[test]
fn ticket_seed_opens_with_the_fixture_ring_and_decodes() {
    let seeds = seeds_of("ticket_open");
    let plain = ticket_ring()
        .open(&seeds["open_ticket"][1..], UNIX)
        .expect("recorded ticket opens");
    assert_eq!(plain.expose(), &seeds["decode_state"][1..]);
    let state = ResumptionState::decode(plain.expose()).unwrap();
    assert_eq!(state.connection, "gw");
}

#[test]
fn session_seed_decodes() {
    let seeds = seeds_of("session_decode");
    let s = SuspendedSession::decode(&seeds["session_file"][1..]).unwrap();
    assert_eq!(s.connection, "home");
    assert_eq!(s.sk_d.len(), s.suite.prf.key_len());
}

#[test]
fn config_seeds_parse() {
    for (name, text) in seeds_of("config_parse") {
        let text = std::str::from_utf8(&text).unwrap();
        tessera::config::Config::parse(text, Path::new("/nonexistent/tessera.toml"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
