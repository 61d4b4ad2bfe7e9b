//! RFC 5723 session resumption between the Tessera daemon and libreswan 5.2 (pluto), the only
//! deployed open-source RFC 5723 peer, in both directions, with PSK and childless IKE SAs (the
//! kernel here has no ESP; see `support::pluto5`).
//!
//! libreswan's resumed AUTH MACs only the IKE_SESSION_RESUME message (rfc5723-conformance.md
//! §B.5), so resumption works with Tessera's `auth_form = "libreswan"` and is refused
//! (AUTHENTICATION_FAILED) with the default RFC form; both are tested, as is the TICKET_NACK
//! fallback after a pluto restart (pluto keeps its ticket keys in memory only).
//!
//! The Tessera ↔ pluto traffic is captured in Tessera's namespace, and the capture is checked
//! with tshark: the SPIs both ends use, the exchanges and the TICKET_* notifies, so "both sides
//! are ESTABLISHED with new SPIs" does not rest on Tessera's word alone (pluto prints no SPIs).
//!
//! Needs root and `scripts/install-peers.sh` (libreswan 5.2 in /opt/libreswan5, tshark);
//! skipped otherwise, failing under `CI=true`.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::capture::{Capture, Decode, IkeFrame, Pcap, describe_frames};
use support::interop::TESSERA_ID;
use support::pluto5::{Lsw5, PLUTO_ID, PLUTO_RESUMED, Role, TESSERA_PROPOSAL};
use support::process::wait_until;
use support::{Peer, require_peer};
use tessera::control::SaJson;

const T: Duration = Duration::from_secs(15);
/// Tessera's exported IKE SA keys (Wireshark `ikev2_decryption_table`).
const KEYS: &str = "ikev2_decryption_table";

const IKE_SA_INIT: u8 = 34;
const IKE_AUTH: u8 = 35;
const IKE_SESSION_RESUME: u8 = 38;
/// Shared Key Message Integrity Code, the AUTH method of a resumed IKE_AUTH (both ends).
const AUTH_SHARED_KEY: u8 = 2;
/// RFC 7383 Encrypted and Authenticated Fragment payload.
const SKF: u8 = 53;
const TICKET_LT_OPAQUE: u16 = 16409;
const TICKET_REQUEST: u16 = 16410;
const TICKET_NACK: u16 = 16412;
const TICKET_OPAQUE: u16 = 16413;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Both peers, and a capture on Tessera's veth end (UDP 500/4500, no non-ESP marker on 500).
fn start(name: &str, role: Role, auth_form: &str) -> Option<(Lsw5, Capture)> {
    if !require_peer(Peer::Pluto5) || !require_peer(Peer::Tshark) {
        return None;
    }
    let l = Lsw5::start(
        name,
        role,
        &format!("auth_form = \"{auth_form}\""),
        &format!("wireshark_keys = \"{}/{KEYS}\"", support::daemon::DIR),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let cap = Capture::start(
        Some(&l.ns.a),
        l.ns.a.ifname(),
        "udp port 500 or udp port 4500",
    )
    .expect("capture starts");
    Some((l, cap))
}

/// Stops the capture and dissects it (no decryption: pluto does not export its keys).
fn frames(cap: Capture) -> (Pcap, Vec<IkeFrame>) {
    let pcap = cap.finish().expect("capture stops");
    let frames = pcap
        .ike_frames(&Decode::default(), "isakmp")
        .expect("tshark reads the capture");
    (pcap, frames)
}

/// The IKE_SESSION_RESUME request/response pair of the resumed SA `spi_i`, checked: a fresh
/// initiator SPI, SPIr 0 and N(TICKET_OPAQUE) in the request, a responder SPI in the response.
#[track_caller]
fn assert_resume_exchange(frames: &[IkeFrame], sa: &SaJson, client: &str, gateway: &str) {
    let all = describe_frames(frames);
    let req = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && !f.response && f.of_sa(&sa.spi_i))
        .unwrap_or_else(|| {
            panic!(
                "no IKE_SESSION_RESUME request with SPIi {}\n{all}",
                sa.spi_i
            )
        });
    assert_eq!(req.src, client, "{all}");
    assert_eq!(req.spi_r, "0000000000000000", "{all}");
    assert_eq!(req.mid, 0, "{all}");
    assert!(req.has_notify(TICKET_OPAQUE), "{all}");
    let resp = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && f.response && f.of_sa(&sa.spi_i))
        .unwrap_or_else(|| panic!("no IKE_SESSION_RESUME response\n{all}"));
    assert_eq!(resp.src, gateway, "{all}");
    assert_eq!(
        resp.spi_r, sa.spi_r,
        "the gateway chose the SPIr Tessera lists\n{all}"
    );
    assert!(!resp.has_notify(TICKET_NACK), "{all}");
    // the resumed IKE_AUTH, answered by the gateway with the same SPIs
    for response in [false, true] {
        let auth = frames
            .iter()
            .find(|f| f.exchange == IKE_AUTH && f.response == response && f.of_sa(&sa.spi_i))
            .unwrap_or_else(|| panic!("no resumed IKE_AUTH (response {response})\n{all}"));
        assert_eq!(auth.spi_r, sa.spi_r, "{all}");
        assert_eq!(auth.mid, 1, "{all}");
        assert_eq!(auth.src, if response { gateway } else { client }, "{all}");
    }
    // no full handshake for this SA
    assert!(
        !frames
            .iter()
            .any(|f| f.exchange == IKE_SA_INIT && f.of_sa(&sa.spi_i)),
        "{all}"
    );
}

/// Decrypts the resumed IKE_AUTH of `sa` with the keys Tessera exported. pluto derived its
/// keys of the resumed SA by itself (SKEYSEED = prf(SK_d, "Resumption" | Ni | Nr), its debug
/// log says so), so pluto's message decrypting and passing tshark's ICV check under Tessera's
/// keys shows both ends derived the same resumption keys. Returns (request, response).
#[track_caller]
fn decrypt_resumed_auth(l: &Lsw5, pcap: &Pcap, sa: &SaJson) -> (IkeFrame, IkeFrame) {
    let table = std::fs::read_to_string(l.tessera.dir().join(KEYS)).expect("key table");
    assert!(
        table
            .lines()
            .any(|line| line.starts_with(&format!("{},{},", sa.spi_i, sa.spi_r))),
        "no exported keys for the resumed SA {sa:#?}:\n{table}"
    );
    let keyed = Decode {
        udpencap_ports: Vec::new(),
        ikev2_keys: Some(table),
    };
    let frames = pcap.ike_frames(&keyed, "isakmp").expect("tshark");
    let all = describe_frames(&frames);
    let bad = pcap
        .fields(&keyed, "isakmp.ikev2.integrity_checksum", &["frame.number"])
        .unwrap();
    assert!(bad.is_empty(), "tshark: ICV check failed in {bad:?}\n{all}");
    let pick = |response: bool| {
        frames
            .iter()
            .find(|f| f.exchange == IKE_AUTH && f.response == response && f.of_sa(&sa.spi_i))
            .cloned()
            .unwrap_or_else(|| panic!("no resumed IKE_AUTH\n{all}"))
    };
    let (req, resp) = (pick(false), pick(true));
    assert_eq!(req.auth_methods, [AUTH_SHARED_KEY], "{all}");
    assert_eq!(resp.auth_methods, [AUTH_SHARED_KEY], "{all}");
    assert!(req.has_notify(TICKET_REQUEST), "{all}");
    assert!(resp.has_notify(TICKET_LT_OPAQUE), "a new ticket\n{all}");
    (req, resp)
}

#[test]
fn tessera_client_pluto5_gateway_libreswan_form_resumes_then_falls_back_after_nack() {
    let name = "t2p5-lsw";
    let Some((mut l, cap)) = start(name, Role::TesseraClient, "libreswan") else {
        return;
    };
    let (tessera_ip, pluto_ip) = (l.ns.a.addr().to_string(), l.ns.b.addr().to_string());
    let out = l
        .tessera
        .cli_ok(&["initiate", name, "--wait", "15"])
        .unwrap_or_else(|e| panic!("{e}\n--- pluto log\n{}", l.pluto().log()));
    assert!(out.contains(&format!("IKE SA {name} established")), "{out}");

    // A full handshake, and pluto's ticket (4-byte lifetime + 856 opaque bytes; 1 h).
    let first = l.tessera_sa(T).unwrap();
    assert!(first.initiator && !first.resumed, "{first:#?}");
    assert_eq!(first.proposal, TESSERA_PROPOSAL);
    assert_eq!(
        (first.local_id.as_str(), first.remote_id.as_str()),
        (TESSERA_ID, PLUTO_ID)
    );
    let expires = first
        .ticket_expires
        .unwrap_or_else(|| panic!("no ticket from pluto: {first:#?}\n{}", l.tessera.log()));
    let left = expires.saturating_sub(unix_now());
    assert!(
        (3500..=3600).contains(&left),
        "pluto's tickets live 1 h: {left}s"
    );
    let p_first = l.pluto().wait_established_ike(name, T).unwrap();
    let plog = l.pluto().log();
    assert!(
        plog.contains("authenticated peer using authby=secret"),
        "{plog}"
    );
    assert!(plog.contains("sending IKE_SESSION_RESUME ticket"), "{plog}");
    assert!(
        plog.contains("IKE_AUTH request does not propose a Child SA; creating childless SA"),
        "{plog}"
    );

    // Suspend: Tessera tells the gateway nothing, so pluto keeps its IKE SA.
    std::thread::sleep(Duration::from_millis(1100)); // ticket expiry has 1 s resolution
    let out = l.tessera.cli_ok(&["suspend", name]).unwrap();
    assert!(out.contains(&format!("IKE SA {name} suspended")), "{out}");
    let list = l.tessera.list().unwrap();
    assert!(list.sas.is_empty(), "{list:#?}");
    assert_eq!(list.suspended.len(), 1, "{list:#?}");
    assert_eq!(list.suspended[0].ticket_expires, expires);
    assert_eq!(list.suspended[0].peer, format!("{pluto_ip}:500"));
    assert!(
        l.pluto()
            .states()
            .unwrap()
            .iter()
            .any(|s| s.serial == p_first.serial && s.is_established_ike()),
        "pluto still holds the IKE SA Tessera suspended"
    );

    // Resume: IKE_SESSION_RESUME + resumed IKE_AUTH, accepted by pluto.
    let out = l
        .tessera
        .cli_ok(&["resume", name, "--wait", "15"])
        .unwrap_or_else(|e| panic!("{e}\n--- pluto log\n{}", l.pluto().log()));
    assert!(out.contains(&format!("IKE SA {name} resumed")), "{out}");
    assert!(!out.contains("fell back"), "{out}");
    let resumed = l.tessera_sa(T).unwrap();
    assert!(resumed.resumed && resumed.initiator, "{resumed:#?}");
    assert_ne!(resumed.spi_i, first.spi_i, "new SPIi");
    assert_ne!(resumed.spi_r, first.spi_r, "new SPIr");
    assert_eq!(
        resumed.proposal, TESSERA_PROPOSAL,
        "transforms from the ticket"
    );
    assert!(
        resumed.ticket_expires > first.ticket_expires,
        "a fresh ticket from the resumed IKE_AUTH: {resumed:#?}"
    );
    l.pluto().wait_for_log(PLUTO_RESUMED, T).unwrap();
    let plog = l.pluto().log();
    assert!(
        plog.contains(&format!(
            "processing IKE_SESSION_RESUME request from {tessera_ip}:UDP/500 containing Ni,N(TICKET_OPAQUE)"
        )),
        "{plog}"
    );
    assert!(
        plog.contains("responder processed IKE_SESSION_RESUME; sent IKE_SESSION_RESUME response"),
        "{plog}"
    );
    assert_eq!(l.pluto_log_count(PLUTO_RESUMED), 1, "{plog}");
    let p_resumed = l.pluto().wait_established_ike(name, T).unwrap();
    let newest = l
        .pluto()
        .states()
        .unwrap()
        .into_iter()
        .find(|s| s.is_established_ike() && s.line.contains("newest"))
        .unwrap_or_else(|| panic!("pluto has no newest IKE SA: {p_resumed:?}"));
    assert!(newest.serial > p_first.serial, "{newest:?} vs {p_first:?}");

    // pluto restarted: its in-memory ticket keys are gone, the ticket is refused with
    // TICKET_NACK and Tessera falls back to IKE_SA_INIT by itself.
    let out = l.tessera.cli_ok(&["suspend", name]).unwrap();
    assert!(out.contains("suspended"), "{out}");
    l.restart_pluto().expect("pluto restarts");
    let out = l
        .tessera
        .cli_ok(&["resume", name, "--wait", "15"])
        .unwrap_or_else(|e| panic!("{e}\n--- pluto log\n{}", l.pluto().log()));
    assert!(
        out.contains("fell back to full handshake: the gateway refused the ticket"),
        "{out}\n{}",
        l.tessera.log()
    );
    let fallback = l.tessera_sa(T).unwrap();
    assert!(!fallback.resumed, "{fallback:#?}");
    assert_ne!(fallback.spi_i, resumed.spi_i);
    assert!(
        fallback.ticket_expires.is_some(),
        "a new ticket from the full handshake"
    );
    assert!(l.tessera.list().unwrap().suspended.is_empty());
    l.pluto().wait_established_ike(name, T).unwrap();
    let plog = l.pluto().log();
    assert!(
        plog.contains("with unencrypted notification TICKET_NACK"),
        "{plog}"
    );
    assert!(
        plog.contains("authenticated peer using authby=secret"),
        "{plog}"
    );
    assert!(!plog.contains(PLUTO_RESUMED), "{plog}");
    assert!(l.tessera.log().contains("refused"), "one log line says why");

    // The wire, as tshark sees it.
    let (pcap, frames) = frames(cap);
    let all = describe_frames(&frames);
    // pluto fragments the ticket-carrying IKE_AUTH response (RFC 7383); Tessera reassembled it
    let first_auth_resp: Vec<&IkeFrame> = frames
        .iter()
        .filter(|f| f.exchange == IKE_AUTH && f.response && f.of_sa(&first.spi_i))
        .collect();
    assert!(
        first_auth_resp.len() >= 2
            && first_auth_resp
                .iter()
                .all(|f| f.next_payloads.first() == Some(&SKF)),
        "fragmented IKE_AUTH response expected\n{all}"
    );
    assert_resume_exchange(&frames, &resumed, &tessera_ip, &pluto_ip);
    let (req, resp) = decrypt_resumed_auth(&l, &pcap, &resumed);
    assert_eq!(req.fqdns, [TESSERA_ID, PLUTO_ID], "IDi, IDr of the ticket");
    assert_eq!(resp.fqdns, [PLUTO_ID], "pluto's IDr");
    // after the restart: TICKET_NACK, then a full IKE_SA_INIT with the fallback SA's SPIs
    let nack = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && f.response && f.has_notify(TICKET_NACK))
        .unwrap_or_else(|| panic!("no TICKET_NACK\n{all}"));
    assert_eq!(nack.src, pluto_ip, "{all}");
    let nacked = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && !f.response && f.spi_i == nack.spi_i)
        .unwrap_or_else(|| panic!("no request for the TICKET_NACK\n{all}"));
    assert!(nacked.has_notify(TICKET_OPAQUE), "{all}");
    assert!(nacked.number > first_auth_resp[0].number);
    assert!(
        frames.iter().any(|f| f.exchange == IKE_SA_INIT
            && f.response
            && f.of_sa(&fallback.spi_i)
            && f.spi_r == fallback.spi_r
            && f.src == pluto_ip),
        "fallback IKE_SA_INIT answered by pluto\n{all}"
    );
    assert_eq!(
        frames
            .iter()
            .filter(|f| f.exchange == IKE_SESSION_RESUME && !f.response)
            .count(),
        2,
        "one resume, one refused resume\n{all}"
    );
}

/// With the RFC's AUTH form, pluto (which MACs only the IKE_SESSION_RESUME message) cannot
/// verify Tessera's resumed AUTH and answers AUTHENTICATION_FAILED. Tessera must fail cleanly
/// and fall back to a full handshake by itself (DESIGN.md: "On N(TICKET_NACK), an expired
/// ticket or a resume failure the client falls back to a full IKE_SA_INIT").
#[test]
fn tessera_client_pluto5_gateway_rfc_form_is_refused_and_falls_back() {
    let name = "t2p5-rfc";
    let Some((l, cap)) = start(name, Role::TesseraClient, "rfc") else {
        return;
    };
    let (tessera_ip, pluto_ip) = (l.ns.a.addr().to_string(), l.ns.b.addr().to_string());
    l.tessera
        .cli_ok(&["initiate", name, "--wait", "15"])
        .unwrap_or_else(|e| panic!("{e}\n--- pluto log\n{}", l.pluto().log()));
    let first = l.tessera_sa(T).unwrap();
    assert!(first.ticket_expires.is_some(), "{first:#?}");
    l.tessera.cli_ok(&["suspend", name]).unwrap();

    let out = l.tessera.cli(&["resume", name, "--wait", "15"]).unwrap();
    let plog = l.pluto().log();
    assert!(
        plog.contains(&format!(
            "responding to IKE_AUTH message (ID 1) from {tessera_ip}:500 with encrypted notification AUTHENTICATION_FAILED"
        )),
        "pluto refuses the RFC-form AUTH\n{plog}"
    );
    assert!(!plog.contains(PLUTO_RESUMED), "{plog}");
    assert!(
        out.status.success() && out.stdout.contains("fell back to full handshake"),
        "Tessera falls back by itself: {}\n{}",
        out.combined(),
        l.tessera.log()
    );
    assert!(
        out.stdout.contains("AUTHENTICATION_FAILED"),
        "the reason is given: {}",
        out.stdout
    );
    let fallback = l.tessera_sa(T).unwrap();
    assert!(!fallback.resumed, "{fallback:#?}");
    assert_ne!(fallback.spi_i, first.spi_i);
    l.pluto()
        .wait_for_log("authenticated peer using authby=secret", T)
        .unwrap();
    assert_eq!(
        l.pluto_log_count("authenticated peer using authby=secret"),
        2,
        "first handshake and fallback"
    );

    let (_pcap, frames) = frames(cap);
    let all = describe_frames(&frames);
    let resume_req = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && !f.response)
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(resume_req.src, tessera_ip);
    assert!(
        frames.iter().any(|f| f.exchange == IKE_AUTH
            && f.response
            && f.spi_i == resume_req.spi_i
            && f.src == pluto_ip),
        "the refused resumed IKE_AUTH\n{all}"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.exchange == IKE_SA_INIT && f.of_sa(&fallback.spi_i)),
        "{all}"
    );
}

#[test]
fn pluto5_client_tessera_gateway_libreswan_form_resumes_twice() {
    let name = "p5t-lsw";
    let Some((l, cap)) = start(name, Role::PlutoClient, "libreswan") else {
        return;
    };
    let (tessera_ip, pluto_ip) = (l.ns.a.addr().to_string(), l.ns.b.addr().to_string());
    let p = l.pluto();
    p.initiate(name).unwrap();
    let p_first = p
        .wait_established_ike(name, T)
        .unwrap_or_else(|e| panic!("{e}\n{}", p.log()));
    let first = l.tessera_sa(T).unwrap();
    assert!(!first.initiator && !first.resumed, "{first:#?}");
    assert_eq!(first.proposal, TESSERA_PROPOSAL);
    assert_eq!(first.remote_id, PLUTO_ID);
    // pluto stores Tessera's ticket
    let len = wait_until("pluto's ticket", Duration::from_secs(5), || {
        p.resume_ticket_len(name)
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.log()));
    assert!(len > 0);
    assert!(p.log().contains("received v2N_TICKET_LT_OPAQUE"));
    assert!(l.tessera.log().contains("issued resumption ticket"));

    let mut seen = vec![first.clone()];
    for round in 1..=2 {
        // whack --suspend deletes the IKE SA (with a Delete) and keeps the ticket
        p.suspend(name).unwrap();
        l.tessera
            .wait_sas("the suspended SA deleted", T, |s| s.is_empty())
            .unwrap();
        p.initiate(name).unwrap();
        let sa = l
            .tessera
            .wait_sas("the resumed SA", T, |s| {
                s.len() == 1 && s[0].state == "ESTABLISHED"
            })
            .unwrap_or_else(|e| panic!("{e}\n--- pluto log\n{}", p.log()))
            .remove(0);
        assert!(
            sa.resumed && !sa.initiator,
            "round {round}: {sa:#?}\n{}",
            l.tessera.log()
        );
        assert_eq!(sa.proposal, TESSERA_PROPOSAL);
        assert_eq!(
            (sa.local_id.as_str(), sa.remote_id.as_str()),
            (TESSERA_ID, PLUTO_ID)
        );
        for old in &seen {
            assert_ne!((&sa.spi_i, &sa.spi_r), (&old.spi_i, &old.spi_r), "new SPIs");
        }
        wait_until("pluto resumed", T, || {
            Ok((l.pluto_log_count(
                "initiator established IKE SA; authenticated peer using authby=session-resume",
            ) == round)
                .then_some(()))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", p.log()));
        let st = p.wait_established_ike(name, T).unwrap();
        assert!(st.serial > p_first.serial);
        // and a fresh ticket from the resumed IKE_AUTH, used by the next round
        assert_eq!(
            l.pluto_log_count("received v2N_TICKET_LT_OPAQUE"),
            round + 1,
            "{}",
            p.log()
        );
        assert!(p.resume_ticket_len(name).unwrap().is_some());
        seen.push(sa);
    }
    assert_eq!(l.pluto_log_count("sent IKE_SESSION_RESUME request"), 2);
    assert!(!l.tessera.log().contains("AUTH mismatch"));

    let (pcap, frames) = frames(cap);
    for sa in &seen[1..] {
        assert_resume_exchange(&frames, sa, &pluto_ip, &tessera_ip);
        let (req, resp) = decrypt_resumed_auth(&l, &pcap, sa);
        assert_eq!(req.fqdns, [PLUTO_ID, TESSERA_ID], "IDi, IDr of the ticket");
        assert_eq!(resp.fqdns, [TESSERA_ID], "Tessera's IDr");
    }
    // Tessera's tickets (TICKET_LT_OPAQUE) travel encrypted: only the IKE_SESSION_RESUME
    // requests show a ticket in clear (TICKET_OPAQUE), and no TICKET_NACK was sent
    let all = describe_frames(&frames);
    assert!(
        !frames.iter().any(|f| f.has_notify(TICKET_LT_OPAQUE)),
        "{all}"
    );
    assert!(!frames.iter().any(|f| f.has_notify(TICKET_NACK)), "{all}");
}

/// pluto's resumed AUTH (libreswan form) against a Tessera gateway that expects the RFC form:
/// Tessera answers AUTHENTICATION_FAILED, keeps nothing of the failed SA, and pluto's revival
/// establishes a new SA with a full handshake.
#[test]
fn pluto5_client_tessera_gateway_rfc_form_is_refused_cleanly() {
    let name = "p5t-rfc";
    let Some((l, cap)) = start(name, Role::PlutoClient, "rfc") else {
        return;
    };
    let (tessera_ip, pluto_ip) = (l.ns.a.addr().to_string(), l.ns.b.addr().to_string());
    let p = l.pluto();
    p.initiate(name).unwrap();
    p.wait_established_ike(name, T)
        .unwrap_or_else(|e| panic!("{e}\n{}", p.log()));
    let first = l.tessera_sa(T).unwrap();
    wait_until("pluto's ticket", Duration::from_secs(5), || {
        p.resume_ticket_len(name)
    })
    .unwrap();
    p.suspend(name).unwrap();
    l.tessera
        .wait_sas("the suspended SA deleted", T, |s| s.is_empty())
        .unwrap();
    p.initiate(name).unwrap();
    p.wait_for_log(
        "IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED",
        T,
    )
    .unwrap();
    l.tessera
        .wait_for_log_line(&["IKE SA closed", "resumed AUTH mismatch"], T)
        .unwrap();
    // pluto revives the connection with a full handshake
    let sa = l
        .tessera
        .wait_sas("pluto's full handshake", T, |s| {
            s.len() == 1 && s[0].state == "ESTABLISHED"
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", p.log()))
        .remove(0);
    assert!(!sa.resumed, "{sa:#?}");
    assert_ne!(sa.spi_i, first.spi_i);
    assert!(!p.log().contains(PLUTO_RESUMED));

    let (_pcap, frames) = frames(cap);
    let all = describe_frames(&frames);
    let req = frames
        .iter()
        .find(|f| f.exchange == IKE_SESSION_RESUME && !f.response)
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(req.src, pluto_ip);
    let refused = frames
        .iter()
        .find(|f| f.exchange == IKE_AUTH && f.response && f.spi_i == req.spi_i)
        .unwrap_or_else(|| panic!("Tessera answers the resumed IKE_AUTH\n{all}"));
    assert_eq!(refused.src, tessera_ip);
    assert!(
        frames
            .iter()
            .any(|f| f.exchange == IKE_SA_INIT && f.of_sa(&sa.spi_i)),
        "{all}"
    );
}
