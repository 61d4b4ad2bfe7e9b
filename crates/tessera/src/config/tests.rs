//! Parser tests: a full good file, defaults, and every error path with its line number.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ike_crypto::{DhAlg, EncrAlg, PrfAlg};
use ike_proto::config::ResumeAuthForm;
use ike_proto::{AuthConfig, ChildMode};

use super::{Config, ConfigError};

const GOOD: &str = r#"[daemon]
listen = ["127.0.0.1"]
port = 10500
natt_port = 14500
control_socket = "run/tessera.sock"
state_dir = "/var/lib/tessera-test"
cookie_threshold = 10
log_level = "debug"

[connections.home]
remote_addrs = ["127.0.0.1"]
remote_port = 20500
proposals = ["aes256gcm16-prfsha256-x25519", "aes128-sha256-ecp256"]
dpd_delay = "30s"
rekey_time = "4h"
[connections.home.local]
auth = "psk"
id = "client.example"
[connections.home.remote]
auth = "psk"
id = "gw.example"
[connections.home.children.net]
mode = "tunnel"
local_ts = ["10.1.0.0/16"]
remote_ts = ["10.2.0.0/16"]
esp_proposals = ["aes128gcm16", "aes128-sha256"]
rekey_time = "1h"
life_time = "66m"
[connections.home.children.alpha]
mode = "transport"
[connections.home.resumption]
request_tickets = true
issue_tickets = false
ticket_lifetime = "2h"
auth_form = "libreswan"

[connections.gw]
[connections.gw.local]
auth = "psk"
id = "gw.example"
[connections.gw.remote]
auth = "psk"

[secrets.psk.home]
secret = "0x00112233445566778899"
[secrets.psk.anyclient]
ids = ["gw.example"]
secret = "swordfish"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/tessera/test.toml"))
}

fn psk_bytes(a: &AuthConfig) -> Vec<u8> {
    match a {
        AuthConfig::Psk(s) => s.expose().to_vec(),
        AuthConfig::PubKey(_) => panic!("expected psk"),
    }
}

#[test]
fn good_config() {
    let c = parse(GOOD).unwrap();
    let d = &c.daemon;
    assert_eq!(d.listen, vec!["127.0.0.1".parse::<IpAddr>().unwrap()]);
    assert_eq!(
        (d.port, d.natt_port, d.remote_natt_port),
        (10500, 14500, 4500)
    );
    assert_eq!(
        d.control_socket,
        PathBuf::from("/etc/tessera/run/tessera.sock")
    );
    assert_eq!(d.state_dir, PathBuf::from("/var/lib/tessera-test"));
    assert_eq!(
        d.log_file,
        PathBuf::from("/var/lib/tessera-test/tessera.log")
    );
    assert_eq!(d.cookie_threshold, 10);
    assert_eq!(d.log_level, "debug");
    assert_eq!(c.daemon.endpoint_config(1, 2).port, 1);

    assert_eq!(c.connections.len(), 2);
    let home = &c.connections[0];
    assert_eq!(home.name, "home");
    assert_eq!(home.remote_addr, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(home.remote_port, 20500);
    // Resolved at load time: the route to 127.0.0.1 leaves from 127.0.0.1.
    assert_eq!(
        home.local_addrs,
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(home.ike_proposals.len(), 2);
    assert_eq!(home.ike_proposals[0].encr, vec![EncrAlg::AesGcm16_256]);
    assert_eq!(home.ike_proposals[0].prf, vec![PrfAlg::HmacSha256]);
    assert_eq!(home.ike_proposals[0].dh, vec![DhAlg::Curve25519]);
    assert_eq!(home.ike_proposals[1].dh, vec![DhAlg::Ecp256]);
    assert_eq!(home.dpd_delay, Duration::from_secs(30));
    assert_eq!(home.rekey_time, Duration::from_secs(4 * 3600));
    assert_eq!(home.local_id.display(), "client.example");
    assert_eq!(home.remote_id.as_ref().unwrap().display(), "gw.example");
    assert_eq!(
        psk_bytes(&home.local_auth),
        [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99]
    );
    assert_eq!(psk_bytes(&home.remote_auth), psk_bytes(&home.local_auth));
    // Children keep file order (the first is created with IKE_AUTH).
    let names: Vec<&str> = home.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["net", "alpha"]);
    let net = &home.children[0];
    assert_eq!(net.mode, ChildMode::Tunnel);
    assert_eq!(net.local_ts.len(), 1);
    assert_eq!(net.local_ts[0].start, "10.1.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(
        net.local_ts[0].end,
        "10.1.255.255".parse::<IpAddr>().unwrap()
    );
    assert_eq!(net.esp_proposals.len(), 2);
    assert_eq!(net.rekey_time, Duration::from_secs(3600));
    assert_eq!(net.life_time, Duration::from_secs(66 * 60));
    let alpha = &home.children[1];
    assert_eq!(alpha.mode, ChildMode::Transport);
    assert!(alpha.local_ts.is_empty() && alpha.remote_ts.is_empty());
    assert_eq!(alpha.life_time, Duration::from_secs(3960));
    assert!(home.resumption.request_tickets);
    assert!(!home.resumption.issue_tickets);
    assert_eq!(home.resumption.ticket_lifetime, Duration::from_secs(7200));
    assert_eq!(home.resumption.auth_form, ResumeAuthForm::Libreswan);

    // Responder-only: no remote address, any remote id, PSK found by the local id.
    let gw = &c.connections[1];
    assert_eq!(gw.remote_addr, None);
    assert!(gw.local_addrs.is_empty());
    assert_eq!(gw.remote_id, None);
    assert_eq!(psk_bytes(&gw.local_auth), b"swordfish");
    assert_eq!(gw.dpd_delay, Duration::ZERO);
    assert_eq!(gw.ike_proposals.len(), 2, "default proposals");
    assert!(gw.resumption.issue_tickets, "resumption defaults");
}

#[test]
fn defaults_without_daemon_section() {
    let c = parse("").unwrap();
    assert_eq!(c.daemon.listen, vec!["0.0.0.0".parse::<IpAddr>().unwrap()]);
    assert_eq!((c.daemon.port, c.daemon.natt_port), (500, 4500));
    assert_eq!(
        c.daemon.control_socket,
        PathBuf::from("/run/tessera/tessera.sock")
    );
    assert_eq!(c.daemon.log_level, "info");
    assert!(c.connections.is_empty());
}

#[test]
fn secrets_never_in_debug_output() {
    let c = parse(GOOD).unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("swordfish"));
    assert!(!dbg.contains("00112233"));
}

/// `GOOD` with `from` replaced by `to` must fail on `line` with a message containing `want`.
#[track_caller]
fn bad(from: &str, to: &str, line: Option<usize>, want: &str) {
    assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
    let text = GOOD.replacen(from, to, 1);
    let e = parse(&text).map(|_| ()).unwrap_err();
    assert_eq!(e.file, PathBuf::from("/etc/tessera/test.toml"));
    assert!(e.message.contains(want), "{e} lacks {want:?}");
    assert_eq!(e.line, line, "{e}");
    let shown = e.to_string();
    assert!(shown.starts_with("/etc/tessera/test.toml"), "{shown}");
    if let Some(l) = line {
        assert!(shown.contains(&format!("test.toml:{l}: ")), "{shown}");
    }
}

#[test]
fn workers_default_to_the_cores_and_are_bounded() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.daemon.workers, super::default_workers());
    assert!((1..=super::MAX_WORKERS).contains(&c.daemon.workers));
    let four = GOOD.replace(
        "cookie_threshold = 10",
        "cookie_threshold = 10\nworkers = 4",
    );
    assert_eq!(parse(&four).unwrap().daemon.workers, 4);
    bad(
        "cookie_threshold = 10",
        "workers = 0",
        Some(7),
        "workers must be between 1 and 16",
    );
    bad(
        "cookie_threshold = 10",
        "workers = 17",
        Some(7),
        "workers must be between 1 and 16",
    );
}

#[test]
fn syntax_error() {
    bad("cookie_threshold = 10", "cookie_threshold = ", Some(7), "");
}

#[test]
fn unknown_keys() {
    bad(
        "log_level = \"debug\"",
        "log_levle = \"debug\"",
        Some(8),
        "unknown field `log_levle`",
    );
    bad(
        "remote_port = 20500",
        "remote_prot = 20500",
        Some(12),
        "unknown field `remote_prot`",
    );
    bad(
        "mode = \"tunnel\"",
        "mdoe = \"tunnel\"",
        Some(23),
        "unknown field `mdoe`",
    );
    bad(
        "id = \"client.example\"",
        "ident = \"client.example\"",
        Some(18),
        "unknown field",
    );
    bad(
        "request_tickets = true",
        "request_ticket = true",
        Some(32),
        "unknown field",
    );
    bad(
        "[secrets.psk.home]",
        "[secrets.pks.home]",
        Some(44),
        "unknown field `pks`",
    );
    bad("[daemon]", "[deamon]", Some(1), "unknown field `deamon`");
}

#[test]
fn bad_values() {
    bad(
        "[\"aes256gcm16-prfsha256-x25519\",",
        "[\"aes999-prfsha256-x25519\",",
        Some(13),
        "unknown algorithm \"aes999\"",
    );
    bad(
        "\"aes128-sha256-ecp256\"]",
        "\"aes128-ecp256\"]",
        Some(13),
        "no integrity",
    );
    bad(
        "dpd_delay = \"30s\"",
        "dpd_delay = \"30 parsecs\"",
        Some(14),
        "unknown unit",
    );
    bad(
        "rekey_time = \"4h\"",
        "rekey_time = -5",
        Some(15),
        "negative",
    );
    bad("port = 10500", "port = 70000", Some(3), "");
    bad(
        "listen = [\"127.0.0.1\"]",
        "listen = [\"127.0.0.300\"]",
        Some(2),
        "",
    );
    bad(
        "auth = \"psk\"\nid = \"client",
        "auth = \"certificate\"\nid = \"client",
        Some(17),
        "unknown variant `certificate`",
    );
    bad(
        "auth_form = \"libreswan\"",
        "auth_form = \"ikev1\"",
        Some(35),
        "unknown variant `ikev1`",
    );
    bad(
        "mode = \"tunnel\"",
        "mode = \"beet\"",
        Some(23),
        "unknown variant `beet`",
    );
    bad(
        "local_ts = [\"10.1.0.0/16\"]",
        "local_ts = [\"10.1.0.0/33\"]",
        Some(24),
        "prefix length",
    );
    bad(
        "local_ts = [\"10.1.0.0/16\"]",
        "local_ts = [\"10.1.0.0/16\", \"dynamic\"]",
        Some(22),
        "mixes \"dynamic\"",
    );
    bad(
        "esp_proposals = [\"aes128gcm16\",",
        "esp_proposals = [\"aes128gcm16-prfsha256\",",
        Some(26),
        "PRF is not allowed",
    );
    bad(
        "life_time = \"66m\"",
        "life_time = \"30m\"",
        Some(28),
        "longer than rekey_time",
    );
    bad(
        "secret = \"swordfish\"",
        "secret = \"0xswordfish\"",
        Some(48),
        "hex",
    );
    bad(
        "secret = \"swordfish\"",
        "secret = 31415926",
        Some(48),
        "secret must be a quoted string",
    );
    let e = parse(&GOOD.replace("secret = \"swordfish\"", "secret = 31415926")).unwrap_err();
    assert!(!e.to_string().contains("31415926"), "{e}");
    bad(
        "log_level = \"debug\"",
        "log_level = \"debug[\"",
        Some(8),
        "bad log_level",
    );
    bad(
        "remote_addrs = [\"127.0.0.1\"]",
        "remote_addrs = [\"127.0.0.1\", \"127.0.0.2\"]",
        Some(11),
        "only one remote address",
    );
    bad(
        "remote_addrs = [\"127.0.0.1\"]",
        "remote_addrs = [\"no-such-host.invalid\"]",
        Some(11),
        "cannot resolve",
    );
    bad(
        "proposals = [\"aes256gcm16-prfsha256-x25519\", \"aes128-sha256-ecp256\"]",
        "proposals = []",
        Some(13),
        "must not be empty",
    );
    bad(
        "esp_proposals = [\"aes128gcm16\", \"aes128-sha256\"]",
        "esp_proposals = []",
        Some(26),
        "must not be empty",
    );
    bad(
        "natt_port = 14500",
        "natt_port = 10500",
        None,
        "must differ",
    );
    bad(
        "listen = [\"127.0.0.1\"]",
        "listen = []",
        None,
        "at least one address",
    );
    bad(
        "id = \"client.example\"",
        "id = \"\"",
        Some(18),
        "empty identity",
    );
}

#[test]
fn missing_things() {
    // No PSK for home: line of the [connections.home] table.
    bad(
        "[secrets.psk.home]\nsecret = \"0x00112233445566778899\"\n[secrets.psk.anyclient]\nids = [\"gw.example\"]",
        "[secrets.psk.anyclient]\nids = [\"nobody.example\"]",
        Some(10),
        "no secret: add [secrets.psk.home]",
    );
    // Without its own entry, home finds the secret listing its remote id.
    let text = GOOD.replacen(
        "[secrets.psk.home]\nsecret = \"0x00112233445566778899\"\n",
        "",
        1,
    );
    let c = parse(&text).unwrap();
    assert_eq!(psk_bytes(&c.connections[0].local_auth), b"swordfish");
    bad(
        "id = \"client.example\"\n",
        "",
        Some(16),
        "local id is required",
    );
    bad(
        "[connections.gw.remote]\nauth = \"psk\"\n",
        "",
        Some(37),
        "missing field `remote`",
    );
    bad(
        "[connections.home.local]\nauth = \"psk\"\n",
        "[connections.home.local]\n",
        Some(16),
        "missing field `auth`",
    );
    bad(
        "[secrets.psk.anyclient]",
        "[secrets.psk.hom]\nsecret = \"x\"\n[secrets.psk.anyclient]",
        Some(46),
        "[secrets.psk.hom] matches no connection",
    );
}

#[test]
fn auth_side_rules() {
    bad(
        "auth = \"psk\"\nid = \"gw.example\"\n[connections.home.children",
        "auth = \"psk\"\nid = \"gw.example\"\ncerts = [\"x.pem\"]\n[connections.home.children",
        Some(19),
        "need auth = \"pubkey\"",
    );
    bad(
        "auth = \"psk\"\nid = \"client.example\"",
        "auth = \"pubkey\"\nid = \"client.example\"",
        Some(16),
        "needs certs",
    );
    bad(
        "auth = \"psk\"\nid = \"client.example\"",
        "auth = \"pubkey\"\nid = \"client.example\"\ncacerts = [\"ca.pem\"]",
        Some(16),
        "cacerts belong to the remote side",
    );
    bad(
        "auth = \"psk\"\nid = \"gw.example\"\n[connections.home.children",
        "auth = \"pubkey\"\nid = \"gw.example\"\n[connections.home.children",
        Some(19),
        "needs cacerts",
    );
    bad(
        "auth = \"psk\"\nid = \"gw.example\"\n[connections.home.children",
        "auth = \"pubkey\"\nid = \"gw.example\"\nkey = \"k.pem\"\n[connections.home.children",
        Some(19),
        "belong to the local side",
    );
}

fn testdata(name: &str) -> String {
    format!(
        "{}/../ike-crypto/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn pubkey_conf(cert: &str, key: &str, ca: &str) -> String {
    format!(
        r#"
[connections.pk]
remote_addrs = ["127.0.0.1"]
[connections.pk.local]
auth = "pubkey"
id = "client.example"
certs = ["{cert}"]
key = "{key}"
[connections.pk.remote]
auth = "pubkey"
cacerts = ["{ca}"]
"#
    )
}

#[test]
fn pubkey_files() {
    let ok = pubkey_conf(
        &testdata("ee-p256.crt.pem"),
        &testdata("ee-p256.key.pem"),
        &testdata("root-ca.crt.pem"),
    );
    let c = parse(&ok).unwrap();
    match (&c.connections[0].local_auth, &c.connections[0].remote_auth) {
        (AuthConfig::PubKey(l), AuthConfig::PubKey(r)) => {
            assert_eq!(l.certs.len(), 1);
            assert!(l.key.is_some());
            assert_eq!(r.cas.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    let missing = pubkey_conf(
        "/nonexistent/cert.pem",
        &testdata("ee-p256.key.pem"),
        &testdata("root-ca.crt.pem"),
    );
    let e = parse(&missing).unwrap_err();
    assert_eq!(e.line, Some(7), "{e}");
    assert!(
        e.message
            .contains("cannot read certificate /nonexistent/cert.pem"),
        "{e}"
    );

    let bad_key = pubkey_conf(
        &testdata("ee-p256.crt.pem"),
        &testdata("root-ca.crt.pem"),
        &testdata("root-ca.crt.pem"),
    );
    let e = parse(&bad_key).unwrap_err();
    assert_eq!(e.line, Some(8), "{e}");
    assert!(e.message.contains("bad key"), "{e}");

    let bad_ca = pubkey_conf(
        &testdata("ee-p256.crt.pem"),
        &testdata("ee-p256.key.pem"),
        &testdata("README.md"),
    );
    let e = parse(&bad_ca).unwrap_err();
    assert_eq!(e.line, Some(11), "{e}");
}

#[test]
fn load_reports_unreadable_file() {
    let e = Config::load(Path::new("/nonexistent/tessera.toml")).unwrap_err();
    assert_eq!(e.line, None);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/tessera.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn shipped_example_parses() {
    let c = Config::parse(super::EXAMPLE, Path::new("/etc/tessera/tessera.toml")).unwrap();
    let names: Vec<&str> = c.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["home", "roadwarriors"]);
    assert_eq!(c.connections[0].children[0].name, "net");
    assert_eq!(
        c.daemon.ticket_key_file,
        PathBuf::from("/var/lib/tessera/ticket-keys")
    );
    assert_eq!(
        c.daemon.wireshark_keys, None,
        "a debugging aid, off in the example"
    );
    let p = c.session_policy("home");
    assert!(p.persist && p.auto_resume);
}

#[test]
fn resumption_state_defaults() {
    let c = parse(GOOD).unwrap();
    let d = &c.daemon;
    assert_eq!(
        d.ticket_key_file,
        PathBuf::from("/var/lib/tessera-test/ticket-keys")
    );
    assert_eq!(d.ticket_key_rotation, Duration::from_secs(24 * 3600));
    assert_eq!(d.wireshark_keys, None);
    assert!(
        !d.endpoint_config(1, 2).export_keys,
        "key export is off by default"
    );
    assert_eq!(c.session_policy("home"), super::SessionPolicy::default());
    assert_eq!(c.session_policy("nope"), super::SessionPolicy::default());
}

#[test]
fn resumption_state_settings() {
    let text = GOOD
        .replace(
            "log_level = \"debug\"",
            "log_level = \"debug\"\nticket_key_file = \"keys/ring\"\nticket_key_rotation = \"2d\"\nwireshark_keys = \"wk.txt\"",
        )
        .replace(
            "auth_form = \"libreswan\"",
            "auth_form = \"libreswan\"\npersist = true\nauto_resume = true",
        );
    let c = parse(&text).unwrap();
    let d = &c.daemon;
    // Relative to the configuration file's directory.
    assert_eq!(d.ticket_key_file, PathBuf::from("/etc/tessera/keys/ring"));
    assert_eq!(d.ticket_key_rotation, Duration::from_secs(2 * 86_400));
    assert_eq!(d.wireshark_keys, Some(PathBuf::from("/etc/tessera/wk.txt")));
    assert!(d.endpoint_config(1, 2).export_keys);
    assert_eq!(
        c.session_policy("home"),
        super::SessionPolicy {
            persist: true,
            auto_resume: true
        }
    );
    assert_eq!(c.session_policy("gw"), super::SessionPolicy::default());
}

#[test]
fn ticket_key_rotation_must_cover_ticket_lifetimes() {
    // gw issues tickets with the default 8h lifetime; home does not issue tickets at all.
    bad(
        "log_level = \"debug\"",
        "log_level = \"debug\"\nticket_key_rotation = \"4h\"",
        Some(9),
        "ticket_key_rotation (4h) is shorter than the ticket_lifetime of connection \"gw\" (8h)",
    );
    bad(
        "log_level = \"debug\"",
        "log_level = \"debug\"\nticket_key_rotation = \"0\"",
        Some(9),
        "ticket_key_rotation must be at least 1s",
    );
    // With the default rotation (24h), a longer ticket lifetime points at its connection.
    let text = GOOD.replace("issue_tickets = false", "issue_tickets = true");
    let text = text.replace("ticket_lifetime = \"2h\"", "ticket_lifetime = \"30h\"");
    let e = parse(&text).map(|_| ()).unwrap_err();
    let line = GOOD
        .lines()
        .position(|l| l == "[connections.home.resumption]")
        .unwrap()
        + 1;
    assert_eq!(e.line, Some(line), "{e}");
    assert!(
        e.message.contains("(24h)") && e.message.contains("(30h)"),
        "{e}"
    );
    // Equal is fine: the previous key still opens a ticket issued just before rotation.
    let text = GOOD.replace(
        "log_level = \"debug\"",
        "log_level = \"debug\"\nticket_key_rotation = \"8h\"",
    );
    parse(&text).unwrap();
}

#[test]
fn auto_resume_needs_persist() {
    let line = GOOD
        .lines()
        .position(|l| l == "[connections.home.resumption]")
        .unwrap()
        + 1;
    bad(
        "auth_form = \"libreswan\"",
        "auth_form = \"libreswan\"\nauto_resume = true",
        Some(line),
        "auto_resume needs persist = true",
    );
    bad(
        "auth_form = \"libreswan\"",
        "auth_form = \"libreswan\"\npersist = \"yes\"",
        Some(line + 5),
        "invalid type",
    );
}
