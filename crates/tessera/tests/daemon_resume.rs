//! RFC 5723 session resumption through real `tessera` daemons on 127.0.0.1 (private ports and
//! directories): the ticket key file across gateway restarts, persisted suspended sessions
//! across a client crash, damaged session files, fallback to a full handshake, and the
//! suspend / resume / rekey / request-ticket commands.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::process::{Daemon, Output, run, wait_until};
use support::{PortPair, free_udp_port_pair};
use tessera::control::{ListJson, SaJson};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");
const PSK: &str = "daemon-resume-test-psk-0123456789";

/// A daemon with a private directory that outlives restarts of the process.
struct Node {
    name: String,
    dir: tempfile::TempDir,
    ports: PortPair,
    daemon: Option<Daemon>,
    runs: usize,
}

impl Node {
    /// Write the configuration for fresh ports and start the daemon.
    fn new(name: &str, config: impl FnOnce(PortPair) -> String) -> Node {
        let dir = tempfile::Builder::new()
            .prefix(&format!("tessera-{name}-"))
            .tempdir()
            .expect("temp dir");
        let ports = free_udp_port_pair().expect("free ports");
        let mut node = Node {
            name: name.to_string(),
            dir,
            ports,
            daemon: None,
            runs: 0,
        };
        node.write_config(&config(ports));
        node.start();
        node
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn config_path(&self) -> PathBuf {
        self.path("tessera.toml")
    }

    fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("writing the config");
    }

    fn daemon_cmd(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(["daemon", "--foreground", "--config"])
            .arg(self.config_path());
        cmd
    }

    /// Every run's log, oldest first.
    fn log(&self) -> String {
        (1..=self.runs)
            .map(|n| {
                std::fs::read_to_string(self.path(&format!("daemon-{n}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n--- restart\n")
    }

    /// Start the daemon and wait until its control socket answers.
    fn start(&mut self) {
        assert!(self.daemon.is_none(), "{} already running", self.name);
        self.runs += 1;
        let log = self.path(&format!("daemon-{}.log", self.runs));
        let daemon = Daemon::spawn(&self.name, &mut self.daemon_cmd(), &log).expect("spawn");
        self.daemon = Some(daemon);
        let ready = wait_until(
            &format!("{} control socket", self.name),
            Duration::from_secs(10),
            || {
                if let Some(st) = self.daemon.as_mut().unwrap().exited()? {
                    panic!(
                        "{} exited during startup ({st}):\n{}",
                        self.name,
                        self.log()
                    );
                }
                Ok(self.cli(&["list"]).status.success().then_some(()))
            },
        );
        if let Err(e) = ready {
            panic!("{e}\n{}", self.log());
        }
    }

    /// SIGKILL: no chance to clean up, like a crash or power loss.
    fn kill9(&mut self) {
        let mut d = self.daemon.take().expect("running");
        let _ = Command::new("kill")
            .args(["-KILL", &d.pid().to_string()])
            .status();
        d.stop(Duration::from_secs(3)); // reaps it
    }

    fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--socket")
            .arg(self.path("tessera.sock"));
        run(&mut cmd, Duration::from_secs(40)).expect("running the tessera CLI")
    }

    #[track_caller]
    fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{}: tessera {args:?} failed: {}\n--- daemon log\n{}",
            self.name,
            out.combined(),
            self.log()
        );
        out.stdout
    }

    #[track_caller]
    fn list(&self) -> ListJson {
        let json = self.cli_ok(&["list", "--json"]);
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("list --json: {e}: {json}"))
    }

    #[track_caller]
    fn one_sa(&self) -> SaJson {
        let l = self.list();
        assert_eq!(l.sas.len(), 1, "{}: {l:#?}", self.name);
        l.sas.into_iter().next().unwrap()
    }

    fn session_file(&self) -> PathBuf {
        self.path("state/sessions/home.session")
    }
}

fn daemon_section(ports: PortPair, extra: &str) -> String {
    format!(
        r#"[daemon]
listen = ["127.0.0.1"]
port = {}
natt_port = {}
control_socket = "tessera.sock"
state_dir = "state"
log_level = "debug"
retransmit_timeout = "300ms"
retransmit_tries = 2
{extra}
"#,
        ports.ike, ports.natt
    )
}

fn gateway_config(ports: PortPair, daemon_extra: &str) -> String {
    format!(
        r#"{}
[connections.gw]
proposals = ["aes256gcm16-prfsha256-x25519"]
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
        daemon_section(ports, daemon_extra)
    )
}

fn client_config(ports: PortPair, gw: PortPair, resumption: &str, daemon_extra: &str) -> String {
    format!(
        r#"{}
[connections.home]
remote_addrs = ["127.0.0.1"]
remote_port = {}
proposals = ["aes256gcm16-prfsha256-x25519"]
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
[connections.home.resumption]
{resumption}

[secrets.psk.home]
secret = "{PSK}"
"#,
        daemon_section(ports, daemon_extra),
        gw.ike
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Establish `home`, returning the client's SA (with its ticket expiry).
fn establish(client: &Node) -> SaJson {
    let out = client.cli_ok(&["initiate", "home", "--wait", "10"]);
    assert!(out.contains("IKE SA home established"), "{out}");
    let sa = client.one_sa();
    assert_eq!(sa.state, "ESTABLISHED");
    assert!(!sa.resumed);
    assert!(
        sa.ticket_expires.is_some(),
        "no ticket after IKE_AUTH: {sa:?}\n{}",
        client.log()
    );
    sa
}

#[track_caller]
fn assert_resumed_pair(client: &Node, gw: &Node, old: &SaJson) -> SaJson {
    let c = client.one_sa();
    let g = wait_until(
        "gateway left with the resumed SA only",
        Duration::from_secs(5),
        || {
            let l = gw.list();
            Ok((l.sas.len() == 1 && l.sas[0].resumed).then(|| l.sas[0].clone()))
        },
    )
    .unwrap_or_else(|e| panic!("{e}: {:#?}\n{}", gw.list(), gw.log()));
    assert_eq!(c.state, "ESTABLISHED");
    assert!(c.resumed && g.resumed, "{c:?}\n{g:?}");
    assert_eq!((&c.spi_i, &c.spi_r), (&g.spi_i, &g.spi_r));
    assert_ne!(c.spi_i, old.spi_i, "new initiator SPI");
    assert_ne!(c.spi_r, old.spi_r, "new responder SPI");
    assert_eq!(c.children.len(), 1, "{c:?}");
    assert_eq!(c.children[0].spi_in, g.children[0].spi_out);
    let (new_t, old_t) = (c.ticket_expires, old.ticket_expires);
    assert!(
        new_t.is_some() && new_t > old_t,
        "fresh ticket expected: {new_t:?} vs {old_t:?}"
    );
    c
}

/// `[daemon] workers = N`: the flows below run with one engine and with several shards.
fn workers(n: usize) -> String {
    format!("workers = {n}")
}

#[test]
fn resume_after_gateway_restart_with_the_same_key_file_1_worker() {
    resume_after_gateway_restart_with_the_same_key_file(1);
}

#[test]
fn resume_after_gateway_restart_with_the_same_key_file_4_workers() {
    resume_after_gateway_restart_with_the_same_key_file(4);
}

fn resume_after_gateway_restart_with_the_same_key_file(n: usize) {
    let mut gw = Node::new("gw", |p| gateway_config(p, &workers(n)));
    let client = Node::new("client", |p| client_config(p, gw.ports, "", &workers(n)));
    let key_file = gw.path("state/ticket-keys");
    assert_eq!(mode(&key_file), 0o600);
    let keys = std::fs::read(&key_file).unwrap();

    let old = establish(&client);
    // Ticket expiry has one-second resolution: make the next ticket's expiry observably later.
    std::thread::sleep(Duration::from_millis(1100));
    let out = client.cli_ok(&["suspend", "home"]);
    assert!(out.contains("IKE SA home suspended"), "{out}");
    assert!(out.contains("kept in memory only"), "{out}");
    let l = client.list();
    assert!(l.sas.is_empty(), "{l:?}");
    assert_eq!(l.suspended.len(), 1, "{l:?}");
    let s = &l.suspended[0];
    assert_eq!(
        (
            s.connection.as_str(),
            s.local_id.as_str(),
            s.remote_id.as_str()
        ),
        ("home", "client.test", "gw.test")
    );
    assert_eq!(s.peer, format!("127.0.0.1:{}", gw.ports.ike));
    assert_eq!(Some(s.ticket_expires), old.ticket_expires);
    assert!(!s.persisted);
    let human = client.cli_ok(&["list"]);
    assert!(human.contains("Suspended sessions:"), "{human}");
    assert!(human.contains("ticket expires"), "{human}");
    // Nothing secret in either listing.
    let json = client.cli_ok(&["list", "--json"]);
    assert!(
        !json.contains("ticket\"") && !json.contains("sk_d"),
        "{json}"
    );

    gw.kill9();
    gw.start();
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        keys,
        "key file survives restart"
    );
    assert!(gw.list().sas.is_empty());

    let out = client.cli_ok(&["resume", "home", "--wait", "10"]);
    assert!(out.contains("IKE SA home resumed"), "{out}");
    assert!(!out.contains("fell back"), "{out}");
    assert_resumed_pair(&client, &gw, &old);
    assert!(client.list().suspended.is_empty());
    let out = client.cli(&["resume", "home"]);
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("has no suspended session"),
        "{}",
        out.combined()
    );
    assert!(gw.log().contains("ticket keys loaded"), "{}", gw.log());
}

#[test]
fn persisted_session_survives_a_client_crash_and_auto_resumes_1_worker() {
    persisted_session_survives_a_client_crash_and_auto_resumes(1);
}

#[test]
fn persisted_session_survives_a_client_crash_and_auto_resumes_4_workers() {
    persisted_session_survives_a_client_crash_and_auto_resumes(4);
}

fn persisted_session_survives_a_client_crash_and_auto_resumes(n: usize) {
    let gw = Node::new("gw-p", |p| gateway_config(p, &workers(n)));
    let mut client = Node::new("client-p", |p| {
        client_config(
            p,
            gw.ports,
            "persist = true\nauto_resume = true",
            &workers(n),
        )
    });
    let old = establish(&client);
    std::thread::sleep(Duration::from_millis(1100));
    let out = client.cli_ok(&["suspend", "home"]);
    let file = client.session_file();
    assert!(
        out.contains(&format!("saved to {}", file.display())),
        "{out}"
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&client.path("state/sessions")), 0o700);
    assert!(client.list().suspended[0].persisted);

    client.kill9();
    client.start();
    let sa = wait_until("auto-resumed SA", Duration::from_secs(10), || {
        let l = client.list();
        Ok(l.sas.first().filter(|s| s.state == "ESTABLISHED").cloned())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", client.log()));
    assert!(sa.resumed, "{sa:?}\n{}", client.log());
    assert_resumed_pair(&client, &gw, &old);
    assert!(
        !file.exists(),
        "session file removed once its ticket was used"
    );
    let log = client.log();
    assert!(log.contains("persisted session loaded"), "{log}");
    assert!(log.contains("auto_resume"), "{log}");
    assert!(!log.contains(PSK));
}

/// A session file the daemon could have written, for connection `name`.
fn session_bytes(name: &str, gw_port: u16) -> Vec<u8> {
    use ike_crypto::{DhAlg, EncrAlg, IkeSuite, PrfAlg, SecretBytes};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    ike_proto::suspend::SuspendedSession {
        connection: name.into(),
        ticket: vec![0x5a; 100],
        sk_d: SecretBytes::new(vec![3; 32]),
        suite: IkeSuite {
            encr: EncrAlg::AesGcm16_256,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhAlg::Curve25519,
        },
        id_i: ike_proto::Identity::parse("client.test").unwrap(),
        id_r: ike_proto::Identity::parse("gw.test").unwrap(),
        expires_at: now + 3600,
        suspended_at: now - 5,
        peer: format!("127.0.0.1:{gw_port}").parse().unwrap(),
        local: None,
    }
    .encode()
    .expose()
    .to_vec()
}

#[test]
fn damaged_session_files_are_reported_and_ignored() {
    // No gateway needed: nothing is resumed, the sink only swallows what might be sent.
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let gw = PortPair {
        ike: sink.local_addr().unwrap().port(),
        natt: 0,
    };
    let names = ["trunc", "flip", "loose", "good"];
    let mut node = Node::new("bad-files", |p| {
        let mut text = client_config(p, gw, "persist = true", "");
        for n in &names[..] {
            text = text.replace(
                "[secrets.psk.home]",
                &format!(
                    "[connections.{n}]\nremote_addrs = [\"127.0.0.1\"]\nremote_port = {}\n\
                     [connections.{n}.local]\nauth = \"psk\"\nid = \"client.test\"\n\
                     [connections.{n}.remote]\nauth = \"psk\"\n\
                     [connections.{n}.resumption]\npersist = true\n\
                     [secrets.psk.{n}]\nsecret = \"x\"\n\n[secrets.psk.home]",
                    gw.ike
                ),
            );
        }
        text
    });
    node.kill9();
    let dir = node.path("state/sessions");
    let write = |n: &str, b: &[u8], m: u32| {
        let p = dir.join(format!("{n}.session"));
        std::fs::write(&p, b).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    let good = session_bytes("trunc", gw.ike);
    write("trunc", &good[..good.len() - 20], 0o600);
    let mut flipped = session_bytes("flip", gw.ike);
    flipped[40] ^= 0x04;
    write("flip", &flipped, 0o600);
    write("loose", &session_bytes("loose", gw.ike), 0o644);
    write("good", &session_bytes("good", gw.ike), 0o600);
    node.start();

    let l = node.list();
    let listed: Vec<_> = l.suspended.iter().map(|s| s.connection.as_str()).collect();
    assert_eq!(listed, ["good"], "{l:?}\n{}", node.log());
    assert!(l.suspended[0].persisted);
    let log = node.log();
    for (n, why) in [
        ("trunc", "truncated"),
        ("flip", "integrity check failed"),
        ("loose", "permissions 0644 are too open"),
    ] {
        let line = log
            .lines()
            .find(|l| {
                l.contains("ignoring persisted session") && l.contains(&format!("{n}.session"))
            })
            .unwrap_or_else(|| panic!("no log line for {n}:\n{log}"));
        assert!(line.contains(why), "{n}: {line}");
        assert!(!dir.join(format!("{n}.session")).exists());
        assert!(dir.join(format!("{n}.session.bad")).exists(), "{n} renamed");
    }
    // Still serving: commands work, and `terminate` forgets the good session and its file.
    let out = node.cli_ok(&["terminate", "good"]);
    assert!(
        out.contains("forgot the suspended session of good"),
        "{out}"
    );
    assert!(!dir.join("good.session").exists());
    assert!(node.list().suspended.is_empty());
    // The .bad files are not looked at again.
    node.kill9();
    node.start();
    assert!(
        !node
            .log()
            .split("--- restart")
            .last()
            .unwrap()
            .contains("ignoring persisted session")
    );
}

#[test]
fn gateway_with_other_keys_refuses_the_ticket_and_the_client_falls_back() {
    let mut gw = Node::new("gw-k", |p| gateway_config(p, ""));
    let client = Node::new("client-k", |p| {
        client_config(p, gw.ports, "persist = true", "")
    });
    let old = establish(&client);
    client.cli_ok(&["suspend", "home"]);
    assert!(client.session_file().exists());

    gw.kill9();
    gw.write_config(&gateway_config(
        gw.ports,
        "ticket_key_file = \"other-keys\"",
    ));
    gw.start();
    assert_eq!(mode(&gw.path("other-keys")), 0o600);

    let out = client.cli_ok(&["resume", "home", "--wait", "10"]);
    assert!(
        out.contains("fell back to full handshake: the gateway refused the ticket"),
        "{out}\n{}",
        client.log()
    );
    let c = client.one_sa();
    assert_eq!(c.state, "ESTABLISHED");
    assert!(!c.resumed);
    assert_ne!(c.spi_i, old.spi_i);
    assert!(
        c.ticket_expires.is_some(),
        "a new ticket from the full handshake"
    );
    let g = gw.one_sa();
    assert!(!g.resumed);
    assert_eq!((&c.spi_i, &c.spi_r), (&g.spi_i, &g.spi_r));
    assert!(
        !client.session_file().exists(),
        "a refused ticket is not kept"
    );
    assert!(client.list().suspended.is_empty());
}

#[test]
fn ticket_key_file_is_private_survives_restart_and_refuses_damage() {
    let mut gw = Node::new("gw-f", |p| gateway_config(p, ""));
    let key_file = gw.path("state/ticket-keys");
    assert_eq!(mode(&key_file), 0o600);
    let keys = std::fs::read(&key_file).unwrap();
    gw.kill9();
    gw.start();
    assert_eq!(std::fs::read(&key_file).unwrap(), keys);
    gw.kill9();

    let start_fails = |gw: &Node, want: &[&str]| {
        let out = run(&mut gw.daemon_cmd(), Duration::from_secs(10)).unwrap();
        assert!(!out.status.success(), "{}", out.combined());
        for w in want {
            assert!(out.stderr.contains(w), "want {w:?} in {}", out.stderr);
        }
        assert!(!gw.path("tessera.sock").exists(), "socket left behind");
    };
    let mut bad = keys.clone();
    bad[30] ^= 0x01;
    std::fs::write(&key_file, &bad).unwrap();
    start_fails(
        &gw,
        &[
            &key_file.display().to_string(),
            "integrity check failed",
            "refusing to start",
        ],
    );
    assert_eq!(std::fs::read(&key_file).unwrap(), bad, "not regenerated");
    std::fs::write(&key_file, &keys[..10]).unwrap();
    start_fails(&gw, &["truncated", "refusing to start"]);

    std::fs::write(&key_file, &keys).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    start_fails(&gw, &["permissions 0644 are too open", "chmod 600"]);
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    gw.start();
    assert!(gw.log().contains("ticket keys loaded"));

    // The rotation period must cover the ticket lifetime.
    let cfg = std::fs::read_to_string(gw.config_path()).unwrap().replace(
        "retransmit_tries = 2",
        "retransmit_tries = 2\nticket_key_rotation = \"1h\"",
    );
    let p = gw.path("short.toml");
    std::fs::write(&p, cfg).unwrap();
    let out = run(
        Command::new(BIN)
            .args(["daemon", "--foreground", "--config"])
            .arg(&p),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(!out.status.success());
    assert!(
        out.stderr.contains(
            "ticket_key_rotation (1h) is shorter than the ticket_lifetime of connection \"gw\" (2h)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn rekey_request_ticket_and_wireshark_keys() {
    let gw = Node::new("gw-r", |p| gateway_config(p, ""));
    let client = Node::new("client-r", |p| {
        client_config(p, gw.ports, "", "wireshark_keys = \"ike-keys.txt\"")
    });
    let old = establish(&client);
    let keys_file = client.path("ike-keys.txt");
    assert_eq!(mode(&keys_file), 0o600);
    let line = std::fs::read_to_string(&keys_file).unwrap();
    assert!(
        line.starts_with(&format!("{},{},", old.spi_i, old.spi_r)),
        "{line}"
    );
    assert!(line.contains("AES-GCM-256 with 16 octet ICV"), "{line}");
    assert!(client.log().contains("wireshark_keys is on"));

    std::thread::sleep(Duration::from_millis(1100));
    let out = client.cli_ok(&["request-ticket", "home"]);
    assert!(
        out.contains("resumption ticket requested on 1 IKE SA(s)"),
        "{out}"
    );
    wait_until("fresh ticket", Duration::from_secs(5), || {
        Ok((client.one_sa().ticket_expires > old.ticket_expires).then_some(()))
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", client.log()));

    let out = client.cli_ok(&["rekey", "home", "--child"]);
    assert!(
        out.contains("rekeying the Child SAs of 1 IKE SA(s)"),
        "{out}"
    );
    wait_until("child rekeyed", Duration::from_secs(5), || {
        let sa = client.one_sa();
        Ok(
            (sa.children.len() == 1 && sa.children[0].spi_in != old.children[0].spi_in)
                .then_some(()),
        )
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}\n{}", client.list(), client.log()));
    assert_eq!(client.one_sa().spi_i, old.spi_i, "--child keeps the IKE SA");

    let out = client.cli_ok(&["rekey", "home"]);
    assert!(out.contains("rekeying 1 IKE SA(s) of home"), "{out}");
    wait_until("IKE SA rekeyed", Duration::from_secs(5), || {
        let l = client.list();
        Ok(
            (l.sas.len() == 1 && l.sas[0].spi_i != old.spi_i && l.sas[0].state == "ESTABLISHED")
                .then_some(()),
        )
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}\n{}", client.list(), client.log()));

    let out = client.cli(&["rekey", "nope"]);
    assert!(!out.status.success());
    assert!(out.stderr.contains("\"nope\""), "{}", out.combined());
    let out = client.cli(&["suspend", "nope"]);
    assert!(!out.status.success());
}

/// Two gateways sharing one key file (e.g. behind one address for failover): a client
/// suspended on the first resumes on the second, which has its own state directory.
#[test]
fn gateways_sharing_a_key_file_resume_each_others_clients() {
    let mut a = Node::new("gw-a", |p| gateway_config(p, ""));
    let shared = a.path("state/ticket-keys");
    let keys = std::fs::read(&shared).unwrap();
    let client = Node::new("client-s", |p| client_config(p, a.ports, "", ""));
    let shared_cfg = format!("ticket_key_file = \"{}\"", shared.display());
    // B runs alongside A on other ports and loads the ring A created.
    let mut b = Node::new("gw-b", |p| gateway_config(p, &shared_cfg));
    assert!(b.log().contains("ticket keys loaded"), "{}", b.log());
    assert_eq!(std::fs::read(&shared).unwrap(), keys);

    let old = establish(&client);
    std::thread::sleep(Duration::from_millis(1100));
    client.cli_ok(&["suspend", "home"]);
    // A goes away; B takes over its address.
    a.kill9();
    b.kill9();
    b.write_config(&gateway_config(a.ports, &shared_cfg));
    b.ports = a.ports;
    b.start();
    let out = client.cli_ok(&["resume", "home", "--wait", "10"]);
    assert!(out.contains("IKE SA home resumed"), "{out}\n{}", b.log());
    assert_resumed_pair(&client, &b, &old);
    assert!(
        !b.path("state/ticket-keys").exists(),
        "B used the shared file only"
    );
}

/// A resume the gateway never answers leaves the ticket unused (RFC 5723 §4.3.1): the session
/// and its file are kept, and a later resume succeeds.
#[test]
fn unanswered_resume_keeps_the_session_for_a_retry() {
    let mut gw = Node::new("gw-t", |p| gateway_config(p, ""));
    let client = Node::new("client-t", |p| {
        client_config(p, gw.ports, "persist = true", "")
    });
    let old = establish(&client);
    std::thread::sleep(Duration::from_millis(1100));
    client.cli_ok(&["suspend", "home"]);
    gw.kill9();

    let out = client.cli(&["resume", "home", "--wait", "10"]);
    assert!(!out.status.success(), "{}", out.combined());
    assert!(
        out.stderr.contains("no answer to IKE_SESSION_RESUME")
            && out.stderr.contains("peer not responding")
            && out.stderr.contains("the suspended session is kept"),
        "{}",
        out.combined()
    );
    let l = client.list();
    assert!(l.sas.is_empty(), "{l:?}");
    assert_eq!(l.suspended.len(), 1, "{l:?}");
    assert!(l.suspended[0].persisted);
    assert!(client.session_file().exists());

    gw.start();
    let out = client.cli_ok(&["resume", "home", "--wait", "10"]);
    assert!(out.contains("IKE SA home resumed"), "{out}");
    assert_resumed_pair(&client, &gw, &old);
    assert!(!client.session_file().exists());
}
