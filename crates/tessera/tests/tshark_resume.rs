//! An independent look at Tessera's RFC 5723 resumption on the wire: two Tessera daemons on
//! 127.0.0.1 (private ports) establish, suspend and resume while dumpcap captures, and tshark's
//! IKEv2 dissector (not Tessera's codec) reads the capture:
//!
//! - in clear: exchange 38 (IKE_SESSION_RESUME) with N(TICKET_OPAQUE) (16413) and SPIr 0, the
//!   gateway's response with the SPIr both daemons list, and no IKE_SA_INIT for the resumed SA;
//! - with the `ikev2_decryption_table` Tessera exports (`wireshark_keys`), the SK payloads
//!   decrypt: N(TICKET_REQUEST) (16410) and N(TICKET_LT_OPAQUE) (16409) in the first IKE_AUTH,
//!   and in the resumed IKE_AUTH the IDi/IDr of the ticket, AUTH method 2 and a new ticket.
//!   tshark checks the ICV / integrity checksum with those keys, so the keys Tessera derived for
//!   the resumed SA are the ones on the wire; a corrupted table line must stop decryption.
//!   (That the derivation itself follows RFC 5723 §5.1 is shown by the libreswan 5.2 interop in
//!   `interop_libreswan5.rs`: pluto derives its keys independently.)
//!
//! Both daemons use private ports, so every IKE datagram carries the 4-byte non-ESP marker and
//! tshark needs `-d udp.port==P,udpencap`.
//!
//! Needs root (capturing) and tshark; skipped otherwise, failing under `CI=true`.

mod support;

use std::time::Duration;

use support::capture::{Capture, Decode, IkeFrame, Pcap, describe_frames};
use support::daemon::daemon_section;
use support::interop::{ECP256_CBC, Proposal, X25519_GCM};
use support::{Peer, PortPair, Tessera, free_udp_port_pair, require_peer};
use tessera::control::SaJson;

const T: Duration = Duration::from_secs(10);
const PSK: &str = "tshark-resume-test-psk-0123456789";

const IKE_SA_INIT: u8 = 34;
const IKE_AUTH: u8 = 35;
const IKE_SESSION_RESUME: u8 = 38;
const INITIAL_CONTACT: u16 = 16384;
const TICKET_LT_OPAQUE: u16 = 16409;
const TICKET_REQUEST: u16 = 16410;
const TICKET_NACK: u16 = 16412;
const TICKET_OPAQUE: u16 = 16413;
/// Shared Key Message Integrity Code: the AUTH method of a resumed IKE_AUTH.
const AUTH_SHARED_KEY: u8 = 2;

/// Each daemon writes its IKE SA keys to this file.
const KEYS: &str = "ikev2_decryption_table";

fn gateway_conf(ports: PortPair, client: PortPair, proposal: Proposal) -> String {
    format!(
        r#"{daemon}wireshark_keys = "@DIR@/{KEYS}"

[connections.gw]
local_addrs = ["127.0.0.1"]
proposals = ["{proposal}"]
[connections.gw.local]
auth = "psk"
id = "gw.test"
[connections.gw.remote]
auth = "psk"
[connections.gw.children.net]
local_ts = ["10.2.0.0/16"]
remote_ts = ["10.1.0.0/16"]
esp_proposals = ["aes128gcm16"]
[connections.gw.resumption]
ticket_lifetime = "2h"
[secrets.psk.gw]
secret = "{PSK}"
"#,
        daemon = daemon_section("127.0.0.1", Some(ports), client.natt),
        proposal = proposal.config,
    )
}

fn client_conf(ports: PortPair, gw: PortPair, proposal: Proposal) -> String {
    format!(
        r#"{daemon}wireshark_keys = "@DIR@/{KEYS}"

[connections.home]
remote_addrs = ["127.0.0.1"]
remote_port = {gw_port}
local_addrs = ["127.0.0.1"]
proposals = ["{proposal}"]
[connections.home.local]
auth = "psk"
id = "client.test"
[connections.home.remote]
auth = "psk"
id = "gw.test"
[connections.home.children.net]
local_ts = ["10.1.0.0/16"]
remote_ts = ["10.2.0.0/16"]
esp_proposals = ["aes128gcm16"]
[secrets.psk.home]
secret = "{PSK}"
"#,
        daemon = daemon_section("127.0.0.1", Some(ports), gw.natt),
        gw_port = gw.ike,
        proposal = proposal.config,
    )
}

fn one_sa(t: &Tessera) -> SaJson {
    t.wait_sas("one established IKE SA", T, |s| {
        s.len() == 1 && s[0].state == "ESTABLISHED"
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", t.log()))
    .remove(0)
}

/// What the capture of one establish → suspend → resume run holds.
struct Run {
    pcap: Pcap,
    first: SaJson,
    resumed: SaJson,
    ports: Vec<u16>,
    /// The client's and the gateway's exported key tables.
    client_keys: String,
    gw_keys: String,
}

fn establish_suspend_resume(tag: &str, proposal: Proposal) -> Option<Run> {
    if !require_peer(Peer::Tshark) || !require_peer(Peer::Netns) {
        return None;
    }
    let (gp, cp) = (
        free_udp_port_pair().expect("ports"),
        free_udp_port_pair().expect("ports"),
    );
    let gw = Tessera::start(&format!("{tag}-gw"), None, &gateway_conf(gp, cp, proposal))
        .expect("gateway starts");
    let client = Tessera::start(&format!("{tag}-cl"), None, &client_conf(cp, gp, proposal))
        .expect("client starts");
    let ports = vec![gp.ike, gp.natt, cp.ike, cp.natt];
    let filter = ports
        .iter()
        .map(|p| format!("udp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let cap = Capture::start(None, "lo", &filter).expect("capture starts");

    let out = client
        .cli_ok(&["initiate", "home", "--wait", "10"])
        .unwrap();
    assert!(out.contains("IKE SA home established"), "{out}");
    let first = one_sa(&client);
    assert!(first.ticket_expires.is_some(), "{first:#?}");
    std::thread::sleep(Duration::from_millis(1100)); // ticket expiry has 1 s resolution
    client.cli_ok(&["suspend", "home"]).unwrap();
    let out = client.cli_ok(&["resume", "home", "--wait", "10"]).unwrap();
    assert!(out.contains("IKE SA home resumed"), "{out}");
    let resumed = one_sa(&client);
    assert!(resumed.resumed, "{resumed:#?}");
    let g = gw
        .wait_sas("the resumed SA only", T, |s| s.len() == 1 && s[0].resumed)
        .unwrap_or_else(|e| panic!("{e}\n{}", gw.log()))
        .remove(0);
    assert_eq!((&g.spi_i, &g.spi_r), (&resumed.spi_i, &resumed.spi_r));
    assert_eq!(resumed.proposal, proposal.listed);

    let pcap = cap.finish().expect("capture stops");
    let read = |t: &Tessera| std::fs::read_to_string(t.dir().join(KEYS)).expect("key table");
    Some(Run {
        pcap,
        first,
        resumed,
        ports,
        client_keys: read(&client),
        gw_keys: read(&gw),
    })
}

fn find<'a>(frames: &'a [IkeFrame], exchange: u8, response: bool, sa: &SaJson) -> &'a IkeFrame {
    frames
        .iter()
        .find(|f| f.exchange == exchange && f.response == response && f.of_sa(&sa.spi_i))
        .unwrap_or_else(|| {
            panic!(
                "no exchange {exchange} (response {response}) of SA {}\n{}",
                sa.spi_i,
                describe_frames(frames)
            )
        })
}

/// The table line of the IKE SA `sa`: `SPIi,SPIr,SK_ei,SK_er,"encr",SK_ai,SK_ar,"integ"`.
fn key_line<'a>(table: &'a str, sa: &SaJson) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{},{},", sa.spi_i, sa.spi_r)))
        .unwrap_or_else(|| panic!("no key line for {}/{}:\n{table}", sa.spi_i, sa.spi_r))
}

fn check(run: &Run, encr_name: &str) {
    let plain = Decode {
        udpencap_ports: run.ports.clone(),
        ikev2_keys: None,
    };
    let keyed = Decode {
        udpencap_ports: run.ports.clone(),
        ikev2_keys: Some(run.client_keys.clone()),
    };
    let (first, resumed) = (&run.first, &run.resumed);

    // The non-ESP marker is on the wire: without `udpencap` tshark sees no IKE at all.
    let raw = run
        .pcap
        .ike_frames(&Decode::default(), "isakmp")
        .expect("tshark");
    assert!(raw.is_empty(), "{}", describe_frames(&raw));

    // In clear.
    let frames = run.pcap.ike_frames(&plain, "isakmp").expect("tshark");
    let all = describe_frames(&frames);
    let req = find(&frames, IKE_SESSION_RESUME, false, resumed);
    assert_eq!(req.spi_r, "0000000000000000", "{all}");
    assert_eq!(req.mid, 0, "{all}");
    assert!(req.has_notify(TICKET_OPAQUE), "{all}");
    let resp = find(&frames, IKE_SESSION_RESUME, true, resumed);
    assert_eq!(resp.spi_r, resumed.spi_r, "{all}");
    assert!(!resp.has_notify(TICKET_NACK), "{all}");
    assert!(
        !frames
            .iter()
            .any(|f| f.exchange == IKE_SA_INIT && f.of_sa(&resumed.spi_i)),
        "no IKE_SA_INIT for the resumed SA\n{all}"
    );
    for f in frames.iter().filter(|f| f.exchange == IKE_AUTH) {
        assert!(
            f.fqdns.is_empty() && f.notifies.is_empty(),
            "encrypted without keys\n{all}"
        );
    }
    let text = run
        .pcap
        .verbose(&plain, "isakmp.exchangetype == 38")
        .unwrap();
    assert!(
        text.contains("Exchange type: IKE_SESSION_RESUME (38)"),
        "{text}"
    );
    assert!(
        text.contains("Notify Message Type: TICKET_OPAQUE (16413)"),
        "{text}"
    );
    assert!(text.contains("TICKET OPAQUE Data"), "{text}");

    // Decrypted with the exported table.
    assert_eq!(run.client_keys.lines().count(), 2, "{}", run.client_keys);
    for sa in [first, resumed] {
        assert!(
            key_line(&run.client_keys, sa).contains(encr_name),
            "{}",
            run.client_keys
        );
    }
    let mut a: Vec<&str> = run.client_keys.lines().collect();
    let mut b: Vec<&str> = run.gw_keys.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "both daemons export the same keys");

    let frames = run.pcap.ike_frames(&keyed, "isakmp").expect("tshark");
    let all = describe_frames(&frames);
    let bad = run
        .pcap
        .fields(&keyed, "isakmp.ikev2.integrity_checksum", &["frame.number"])
        .unwrap();
    assert!(
        bad.is_empty(),
        "tshark: integrity check failed: {bad:?}\n{all}"
    );
    // first IKE_AUTH: the ticket request and the ticket
    let i = find(&frames, IKE_AUTH, false, first);
    assert_eq!(i.fqdns, ["client.test", "gw.test"], "{all}");
    assert!(
        i.has_notify(TICKET_REQUEST) && i.has_notify(INITIAL_CONTACT),
        "{all}"
    );
    let r = find(&frames, IKE_AUTH, true, first);
    assert!(r.has_notify(TICKET_LT_OPAQUE), "{all}");
    assert!(
        r.ticket_lifetimes.len() == 1 && (7100..=7200).contains(&r.ticket_lifetimes[0]),
        "ticket_lifetime = 2h\n{all}"
    );
    // resumed IKE_AUTH: the ticket's IDs, AUTH method 2, no INITIAL_CONTACT, a new ticket
    let i = find(&frames, IKE_AUTH, false, resumed);
    assert_eq!(i.spi_r, resumed.spi_r);
    assert_eq!(i.fqdns, ["client.test", "gw.test"], "IDi and IDr\n{all}");
    assert_eq!(i.auth_methods, [AUTH_SHARED_KEY], "{all}");
    assert!(i.has_notify(TICKET_REQUEST), "{all}");
    assert!(!i.has_notify(INITIAL_CONTACT), "{all}");
    let r = find(&frames, IKE_AUTH, true, resumed);
    assert_eq!(r.fqdns, ["gw.test"], "IDr\n{all}");
    assert_eq!(r.auth_methods, [AUTH_SHARED_KEY], "{all}");
    assert!(r.has_notify(TICKET_LT_OPAQUE), "{all}");
    assert_eq!(r.ticket_lifetimes.len(), 1, "{all}");
    let text = run
        .pcap
        .verbose(
            &keyed,
            &format!(
                "isakmp.ispi == {} && isakmp.exchangetype == 35",
                resumed.spi_i
            ),
        )
        .unwrap();
    assert!(
        text.contains("Notify Message Type: TICKET_LT_OPAQUE (16409)")
            && text.contains("Notify Message Type: TICKET_REQUEST (16410)")
            && text.contains("Decrypted Data"),
        "{text}"
    );

    // Negative control: one wrong hex digit in the resumed SA's SK_er (and SK_ar, when the
    // suite has one) and tshark reports a bad ICV / integrity checksum on the response and
    // decrypts nothing useful; the request, under SK_ei/SK_ai, still decrypts.
    let line = key_line(&run.client_keys, resumed);
    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
    for i in [3, 6] {
        let f = &mut fields[i];
        if !f.is_empty() {
            let flipped = if f.starts_with('0') { "1" } else { "0" };
            f.replace_range(0..1, flipped);
        }
    }
    let damaged = run.client_keys.replace(line, &fields.join(","));
    assert_ne!(damaged, run.client_keys);
    let wrong = Decode {
        udpencap_ports: run.ports.clone(),
        ikev2_keys: Some(damaged),
    };
    let frames = run.pcap.ike_frames(&wrong, "isakmp").expect("tshark");
    let all = describe_frames(&frames);
    assert_eq!(
        find(&frames, IKE_AUTH, false, resumed).fqdns,
        ["client.test", "gw.test"],
        "{all}"
    );
    let r = find(&frames, IKE_AUTH, true, resumed);
    assert!(
        r.fqdns.is_empty() && !r.has_notify(TICKET_LT_OPAQUE),
        "a wrong SK_er must not decrypt\n{all}"
    );
    let bad = run
        .pcap
        .fields(&wrong, "isakmp.ikev2.integrity_checksum", &["frame.number"])
        .unwrap();
    assert_eq!(
        bad,
        [[r.number.to_string()]],
        "tshark flags exactly the response under the wrong key\n{all}"
    );
}

#[test]
fn tshark_decodes_and_decrypts_a_resume_aes_gcm() {
    if let Some(run) = establish_suspend_resume("tsg", X25519_GCM) {
        check(&run, "\"AES-GCM-256 with 16 octet ICV [RFC5282]\"");
    }
}

#[test]
fn tshark_decodes_and_decrypts_a_resume_aes_cbc_hmac_sha256() {
    if let Some(run) = establish_suspend_resume("tsc", ECP256_CBC) {
        check(&run, "\"AES-CBC-128 [RFC3602]\"");
    }
}
