//! End-to-end tests of the `tessera` binary: two real daemons on 127.0.0.1 with private ports
//! and directories, driven through the CLI and the control socket.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::process::{Daemon, Output, run, wait_until};
use support::{PortPair, free_udp_port_pair};
use tessera::control::SaJson;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");
const PSK: &str = "daemon-cli-test-psk-0123456789";

/// One running daemon with its private directory.
struct Node {
    dir: tempfile::TempDir,
    config: PathBuf,
    socket: PathBuf,
    ports: PortPair,
    daemon: Daemon,
}

impl Node {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Run `tessera <args> --socket <ours>`.
    fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args).arg("--socket").arg(&self.socket);
        run(&mut cmd, Duration::from_secs(30)).expect("running the tessera CLI")
    }

    #[track_caller]
    fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "tessera {args:?} failed: {}\n--- daemon log\n{}",
            out.combined(),
            self.log()
        );
        out.stdout
    }

    #[track_caller]
    fn sas(&self) -> Vec<SaJson> {
        let json = self.cli_ok(&["list", "--json"]);
        serde_json::from_str::<tessera::control::ListJson>(&json)
            .unwrap_or_else(|e| panic!("list --json: {e}: {json}"))
            .sas
    }
}

fn daemon_section(ports: PortPair) -> String {
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
"#,
        ports.ike, ports.natt
    )
}

fn responder_config(ports: PortPair) -> String {
    format!(
        r#"{}
[connections.gw]
proposals = ["aes256gcm16-prfsha256-x25519", "aes128-sha256-ecp256"]
[connections.gw.local]
auth = "psk"
id = "gw.test"
[connections.gw.remote]
auth = "psk"
[connections.gw.children.net]
local_ts = ["10.2.0.0/16"]
remote_ts = ["10.1.0.0/16"]
esp_proposals = ["aes128gcm16"]

[secrets.psk.gw]
secret = "{PSK}"
"#,
        daemon_section(ports)
    )
}

fn initiator_config(ports: PortPair, gw: PortPair, psk: &str) -> String {
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

[secrets.psk.home]
secret = "{psk}"
"#,
        daemon_section(ports),
        gw.ike
    )
}

/// Write the configuration built for our ports, start `tessera daemon --foreground` and wait
/// until its control socket answers.
fn start(name: &str, config: impl FnOnce(PortPair) -> String) -> Node {
    let dir = tempfile::Builder::new()
        .prefix(&format!("tessera-{name}-"))
        .tempdir()
        .expect("temp dir");
    let ports = free_udp_port_pair().expect("free ports");
    let path = dir.path().join("tessera.toml");
    std::fs::write(&path, config(ports)).expect("writing the config");
    let mut cmd = Command::new(BIN);
    cmd.args(["daemon", "--foreground", "--config"]).arg(&path);
    let daemon = Daemon::spawn(name, &mut cmd, &dir.path().join("daemon.log")).expect("spawn");
    let mut node = Node {
        socket: dir.path().join("tessera.sock"),
        config: path,
        dir,
        ports,
        daemon,
    };
    let ready = wait_until(
        &format!("{name} control socket"),
        Duration::from_secs(10),
        || {
            if let Some(st) = node.daemon.exited()? {
                panic!("{name} exited during startup ({st}):\n{}", node.log());
            }
            Ok(node.cli(&["list"]).status.success().then_some(()))
        },
    );
    if let Err(e) = ready {
        panic!("{e}\n{}", node.log());
    }
    node
}

/// A configuration with `[daemon] workers = n`.
fn with_workers(config: String, n: usize) -> String {
    config.replacen("[daemon]\n", &format!("[daemon]\nworkers = {n}\n"), 1)
}

#[test]
fn initiate_list_terminate_between_two_daemons_1_worker() {
    initiate_list_terminate_between_two_daemons(1);
}

#[test]
fn initiate_list_terminate_between_two_daemons_4_workers() {
    initiate_list_terminate_between_two_daemons(4);
}

fn initiate_list_terminate_between_two_daemons(n: usize) {
    let gw = start("gw", |p| with_workers(responder_config(p), n));
    let client = start("client", |p| {
        with_workers(initiator_config(p, gw.ports, PSK), n)
    });
    assert!(
        gw.log().contains(&format!("workers={n}")),
        "driver started with {n} shard(s): {}",
        gw.log()
    );

    let mode = std::fs::metadata(&client.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "control socket mode {mode:o}");
    assert!(client.sas().is_empty());

    let out = client.cli_ok(&["initiate", "home", "--wait", "10"]);
    assert!(out.contains("IKE SA home established"), "{out}");
    assert!(out.contains("ESTABLISHED"), "{out}");

    let c = client.sas();
    assert_eq!(c.len(), 1, "{c:?}");
    let c = &c[0];
    // The responder finished IKE_AUTH before the initiator did, so it is already up.
    let g = gw.sas();
    assert_eq!(g.len(), 1, "{g:?}");
    let g = &g[0];
    for (sa, conn, initiator) in [(c, "home", true), (g, "gw", false)] {
        assert_eq!(sa.connection, conn);
        assert_eq!(sa.state, "ESTABLISHED");
        assert_eq!(sa.initiator, initiator);
        assert_eq!(sa.proposal, "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519");
        assert_eq!(sa.children.len(), 1, "{sa:?}");
        assert_eq!(sa.spi_i.len(), 16);
        assert_ne!(sa.spi_r, "0000000000000000");
    }
    assert_eq!((&c.spi_i, &c.spi_r), (&g.spi_i, &g.spi_r));
    assert_eq!(
        (c.local_id.as_str(), c.remote_id.as_str()),
        ("client.test", "gw.test")
    );
    assert_eq!(
        (g.local_id.as_str(), g.remote_id.as_str()),
        ("gw.test", "client.test")
    );
    assert_eq!(c.local, format!("127.0.0.1:{}", client.ports.ike));
    assert_eq!(c.remote, format!("127.0.0.1:{}", gw.ports.ike));
    assert_eq!(g.remote, c.local);
    let (cc, gc) = (&c.children[0], &g.children[0]);
    assert_eq!(cc.name, "net");
    assert_eq!(cc.mode, "TUNNEL");
    assert_eq!(cc.spi_in, gc.spi_out);
    assert_eq!(cc.spi_out, gc.spi_in);
    assert_eq!(cc.spi_in.len(), 8);
    assert!(cc.proposal.contains("AES_GCM_16_128"), "{}", cc.proposal);

    // The human listing shows the same SA, swanctl style.
    let human = gw.cli_ok(&["list"]);
    assert!(
        human.contains(&format!(
            "gw: #1, ESTABLISHED, IKEv2, {}_i {}_r*",
            g.spi_i, g.spi_r
        )),
        "{human}"
    );
    assert!(human.contains(&format!("in  {}", gc.spi_in)), "{human}");

    // Logs carry SPIs but never the PSK.
    for n in [&gw, &client] {
        let log = n.log();
        assert!(log.contains("IKE SA established"), "{log}");
        assert!(log.contains(&c.spi_i), "{log}");
        assert!(!log.contains(PSK), "PSK in the log");
    }

    // A liveness check is an INFORMATIONAL round trip; the SA stays up.
    // The daemon logs every datagram's header at debug level: the answer must arrive.
    let answered = |log: String| {
        log.lines().any(|l| {
            l.contains("received")
                && l.contains("exchange=INFORMATIONAL")
                && l.contains("response=true")
                && l.contains("mid=2")
        })
    };
    assert!(!answered(client.log()), "DPD answer before the DPD");
    let out = client.cli_ok(&["dpd", "home"]);
    assert!(out.contains("liveness check sent on 1 IKE SA"), "{out}");
    wait_until("DPD answered", Duration::from_secs(5), || {
        Ok(answered(client.log()).then_some(()))
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", client.log()));
    assert_eq!(client.sas()[0].state, "ESTABLISHED");

    let out = client.cli_ok(&["terminate", "home"]);
    assert!(out.contains("closed"), "{out}");
    assert!(client.sas().is_empty());
    wait_until("responder SA gone", Duration::from_secs(5), || {
        Ok(gw.sas().is_empty().then_some(()))
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}\n{}", gw.sas(), gw.log()));
    let out = client.cli(&["terminate", "home"]);
    assert!(!out.status.success());
    assert!(out.stderr.contains("no IKE SA"), "{}", out.combined());
}

#[test]
fn initiate_reports_failure_reason() {
    let gw = start("gw-f", responder_config);
    let client = start("client-f", |p| {
        initiator_config(p, gw.ports, "a-different-psk-0123456789")
    });
    let out = client.cli(&["initiate", "home", "--wait", "10"]);
    assert!(!out.status.success(), "{}", out.combined());
    assert!(
        out.stderr.contains("IKE SA home failed"),
        "{}",
        out.combined()
    );
    assert!(
        out.stderr.contains("AUTHENTICATION_FAILED"),
        "{}\n{}",
        out.combined(),
        client.log()
    );
    assert!(client.sas().is_empty());

    let out = client.cli(&["initiate", "nope"]);
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("no connection named \"nope\""),
        "{}",
        out.combined()
    );
}

/// `tessera daemon` with a broken file: non-zero exit, file name and line in the message, in
/// the foreground and in the background start path.
#[test]
fn bad_config_fails_with_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let ports = free_udp_port_pair().unwrap();
    let text = responder_config(ports).replace("esp_proposals", "esp_proposal");
    let line = text
        .lines()
        .position(|l| l.starts_with("esp_proposal"))
        .unwrap()
        + 1;
    std::fs::write(&path, &text).unwrap();
    for fg in [true, false] {
        let mut cmd = Command::new(BIN);
        cmd.arg("daemon").arg("--config").arg(&path);
        if fg {
            cmd.arg("--foreground");
        }
        let out = run(&mut cmd, Duration::from_secs(10)).unwrap();
        assert!(!out.status.success(), "{}", out.combined());
        let want = format!("{}:{line}: ", path.display());
        assert!(
            out.stderr.contains(&want),
            "want {want:?} in {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("unknown field `esp_proposal`"),
            "{}",
            out.stderr
        );
    }
    assert!(!dir.path().join("tessera.sock").exists());
}

#[test]
fn reload_with_broken_file_keeps_serving() {
    let node = start("reload", responder_config);
    let good = std::fs::read_to_string(&node.config).unwrap();

    let broken = good.replace("aes128-sha256-ecp256", "aes128-sha999-ecp256");
    let line = broken.lines().position(|l| l.contains("sha999")).unwrap() + 1;
    std::fs::write(&node.config, &broken).unwrap();
    let out = node.cli(&["reload"]);
    assert!(!out.status.success(), "{}", out.combined());
    assert!(
        out.stderr.contains("configuration unchanged"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("tessera.toml:{line}: ")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("unknown algorithm \"sha999\""),
        "{}",
        out.stderr
    );
    assert!(node.daemon_alive());
    node.cli_ok(&["list"]);
    // Still the old connection set: gw exists (no remote address), extra does not.
    assert!(
        node.cli(&["initiate", "gw"])
            .stderr
            .contains("no remote address")
    );
    assert!(
        node.cli(&["initiate", "extra"])
            .stderr
            .contains("no connection named")
    );

    // A good reload adds a connection that can then be initiated (towards a socket that
    // swallows the request, so the SA stays half-open).
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let extra = format!(
        "{good}\n[connections.extra]\nremote_addrs = [\"127.0.0.1\"]\nremote_port = {}\n\
         [connections.extra.local]\nauth = \"psk\"\nid = \"x.test\"\n\
         [connections.extra.remote]\nauth = \"psk\"\n[secrets.psk.extra]\nsecret = \"x\"\n",
        sink.local_addr().unwrap().port()
    );
    std::fs::write(&node.config, &extra).unwrap();
    let out = node.cli_ok(&["reload"]);
    assert!(out.contains("2 connection(s)"), "{out}");
    assert!(!out.contains("restart"), "{out}");
    // [daemon] settings are bound at start: a change is accepted but reported.
    std::fs::write(
        &node.config,
        extra.replace("retransmit_tries = 2", "retransmit_tries = 3"),
    )
    .unwrap();
    let out = node.cli_ok(&["reload"]);
    assert!(out.contains("take effect after a restart"), "{out}");
    let out = node.cli_ok(&["initiate", "extra", "--wait", "0"]);
    assert!(out.contains("initiating extra"), "{out}");
    let sas = node.sas();
    assert_eq!(sas.len(), 1, "{sas:?}");
    assert_eq!(
        (sas[0].connection.as_str(), sas[0].state.as_str()),
        ("extra", "CONNECTING")
    );
    let mut buf = [0u8; 2048];
    sink.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (n, from) = sink
        .recv_from(&mut buf)
        .expect("IKE_SA_INIT from the reloaded connection");
    assert_eq!(from.port(), node.ports.ike);
    assert!(n > 28 + 4, "{n} bytes");
    node.cli_ok(&["terminate", "extra"]);
    assert!(node.sas().is_empty());
}

impl Node {
    fn daemon_alive(&self) -> bool {
        // /proc/<pid> exists while the process (or its zombie) does; `exited` needs &mut.
        Path::new(&format!("/proc/{}/status", self.daemon.pid())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/status", self.daemon.pid()))
                .unwrap_or_default()
                .contains("State:\tZ")
    }
}

#[test]
fn cli_without_daemon_explains() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("none.sock");
    let out = run(
        Command::new(BIN).arg("list").arg("--socket").arg(&sock),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("is the daemon running?"),
        "{}",
        out.stderr
    );
}

#[test]
fn control_socket_rejects_bad_requests() {
    use std::io::{BufRead, BufReader, Write};
    let node = start("ctl", responder_config);
    let mut s = std::os::unix::net::UnixStream::connect(&node.socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut ask = |line: &str| {
        s.write_all(line.as_bytes()).unwrap();
        let mut answer = String::new();
        r.read_line(&mut answer).unwrap();
        serde_json::from_str::<tessera::control::Response>(&answer).unwrap()
    };
    let a = ask("not json\n");
    assert!(!a.ok);
    assert!(a.error.unwrap().starts_with("bad request"));
    let a = ask("{\"command\":\"explode\"}\n");
    assert!(a.error.unwrap().contains("unknown variant `explode`"));
    // The connection survives bad lines; a good request still works on it.
    let a = ask("{\"command\":\"list\"}\n");
    assert!(a.ok && a.sas == Some(vec![]), "{a:?}");
    let a = ask("{\"command\":\"suspend\",\"name\":\"gw\"}\n");
    assert!(a.error.unwrap().contains("no IKE SA"));
    // An endless line is cut off instead of buffered.
    let mut s2 = std::os::unix::net::UnixStream::connect(&node.socket).unwrap();
    s2.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s2.write_all(&vec![b'x'; 70 * 1024]);
    let mut answer = String::new();
    BufReader::new(&s2).read_line(&mut answer).unwrap();
    assert!(answer.contains("too long"), "{answer}");
    node.cli_ok(&["list"]);
}
