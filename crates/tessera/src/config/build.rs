//! From the raw TOML schema to [`Config`]: defaults, cross-field rules, PSK lookup, certificate
//! and key files, local address resolution, and the engine's own validation — each error with
//! the line of the value it is about.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ike_crypto::SecretBytes;
use ike_crypto::cert::Certificate;
use ike_crypto::sig::SigningKey;
use ike_proto::config::ResumeAuthForm;
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, Identity, PubKeyAuth, ResumptionConfig,
};
use toml::Spanned;

use super::raw::{
    AuthForm, AuthKind, Mode, RawAuth, RawChild, RawConfig, RawConn, RawDaemon, RawPsk,
};
use super::{
    Config, ConfigError, DaemonConfig, MAX_WORKERS, SessionPolicy, default_workers, proposal,
};

/// Error construction with line numbers for one file.
struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
    base: PathBuf,
}

impl Ctx<'_> {
    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        // Defaults carry an empty 0..0 span: no line to point at.
        let line = span
            .filter(|s| !s.is_empty())
            .map(|s| line_of(self.text, s.start));
        ConfigError {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    fn at<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.err(Some(s.span()), message)
    }

    fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

/// 1-based line number of byte `offset`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

pub(super) fn build(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let cx = Ctx { text, path, base };
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| cx.err(e.span(), e.message().trim_end().to_string()))?;
    let daemon = daemon(&cx, &raw.daemon)?;
    let psks = &raw.secrets.psk.0;
    let mut connections = Vec::new();
    let mut sessions = BTreeMap::new();
    for (name, rc) in &raw.connections.0 {
        let conn = connection(&cx, name, rc, psks)?;
        if let Some(r) = &rc.get_ref().resumption {
            let p = r.get_ref();
            if p.auto_resume && !p.persist {
                return Err(cx.at(
                    r,
                    format!("connection {name:?}: auto_resume needs persist = true (only a persisted session exists at start)"),
                ));
            }
            sessions.insert(
                name.clone(),
                SessionPolicy {
                    persist: p.persist,
                    auto_resume: p.auto_resume,
                },
            );
        }
        check_rotation(&cx, &daemon, &raw.daemon, &conn, rc)?;
        connections.push(conn);
    }
    // A secret named after nothing is almost always a typo in a connection name.
    for (name, p) in psks {
        let inner = p.get_ref();
        if inner.ids.is_empty() && !raw.connections.0.iter().any(|(n, _)| n == name) {
            return Err(cx.at(
                p,
                format!(
                    "[secrets.psk.{name}] matches no connection (name it after a connection or list ids)"
                ),
            ));
        }
    }
    Ok(Config {
        path: path.to_path_buf(),
        daemon,
        connections,
        sessions,
    })
}

/// A ticket must not outlive the key that sealed it (RFC 5723 §6.2): the key rotates at most
/// once per ticket lifetime, so that the previous generation still opens every live ticket.
fn check_rotation(
    cx: &Ctx<'_>,
    daemon: &DaemonConfig,
    raw: &RawDaemon,
    conn: &ConnectionConfig,
    rc: &Spanned<RawConn>,
) -> Result<(), ConfigError> {
    let r = &conn.resumption;
    if !r.issue_tickets || daemon.ticket_key_rotation >= r.ticket_lifetime {
        return Ok(());
    }
    let message = format!(
        "[daemon] ticket_key_rotation ({}) is shorter than the ticket_lifetime of connection {:?} ({}): \
         a ticket would outlive its key; raise ticket_key_rotation or lower ticket_lifetime",
        human(daemon.ticket_key_rotation),
        conn.name,
        human(r.ticket_lifetime)
    );
    Err(match &raw.ticket_key_rotation {
        Some(s) => cx.at(s, message),
        None => match &rc.get_ref().resumption {
            Some(res) => cx.at(res, message),
            None => cx.at(rc, message),
        },
    })
}

/// `30h`, `90m`, `45s` for error messages.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s != 0 && s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s != 0 && s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

fn daemon(cx: &Ctx<'_>, d: &RawDaemon) -> Result<DaemonConfig, ConfigError> {
    if d.listen.is_empty() {
        return Err(cx.err(None, "[daemon] listen must name at least one address"));
    }
    if d.port != 0 && d.port == d.natt_port {
        return Err(cx.err(
            None,
            format!("[daemon] port and natt_port must differ (both {})", d.port),
        ));
    }
    if d.retransmit_timeout.0.is_zero() {
        return Err(cx.err(None, "[daemon] retransmit_timeout must be positive"));
    }
    // Field-value filters are regexes; compiling them is exponential on hostile input, so
    // they are matched literally (tracing-subscriber's advice for untrusted filters).
    tracing_subscriber::EnvFilter::builder()
        .with_regex(false)
        .parse(d.log_level.get_ref())
        .map_err(|e| cx.at(&d.log_level, format!("bad log_level: {e}")))?;
    let state_dir = cx.resolve(d.state_dir.get_ref());
    let log_file = match &d.log_file {
        Some(f) => cx.resolve(f.get_ref()),
        None => state_dir.join("tessera.log"),
    };
    let ticket_key_file = match &d.ticket_key_file {
        Some(f) => cx.resolve(f.get_ref()),
        None => state_dir.join("ticket-keys"),
    };
    let ticket_key_rotation = match &d.ticket_key_rotation {
        Some(r) if r.get_ref().0 < Duration::from_secs(1) => {
            return Err(cx.at(r, "[daemon] ticket_key_rotation must be at least 1s"));
        }
        Some(r) => r.get_ref().0,
        None => Duration::from_secs(24 * 3600),
    };
    let wireshark_keys = d.wireshark_keys.as_ref().map(|f| cx.resolve(f.get_ref()));
    let workers = match &d.workers {
        Some(w) if !(1..=MAX_WORKERS).contains(w.get_ref()) => {
            return Err(cx.at(
                w,
                format!("[daemon] workers must be between 1 and {MAX_WORKERS}"),
            ));
        }
        Some(w) => *w.get_ref(),
        None => default_workers(),
    };
    Ok(DaemonConfig {
        listen: d.listen.clone(),
        port: d.port,
        natt_port: d.natt_port,
        remote_natt_port: d.remote_natt_port,
        control_socket: cx.resolve(d.control_socket.get_ref()),
        state_dir,
        log_file,
        cookie_threshold: d.cookie_threshold,
        half_open_limit: d.half_open_limit,
        retransmit_timeout: d.retransmit_timeout.0,
        retransmit_tries: d.retransmit_tries,
        log_level: d.log_level.clone().into_inner(),
        ticket_key_file,
        ticket_key_rotation,
        wireshark_keys,
        fragment_mtu: d.fragment_mtu,
        workers,
    })
}

fn connection(
    cx: &Ctx<'_>,
    name: &str,
    sc: &Spanned<RawConn>,
    psks: &[(String, Spanned<RawPsk>)],
) -> Result<ConnectionConfig, ConfigError> {
    let c = sc.get_ref();
    let at_conn = |m: String| cx.at(sc, format!("connection {name:?}: {m}"));
    if name.is_empty() {
        return Err(at_conn("empty connection name".into()));
    }

    let remote_addr = match &c.remote_addrs {
        None => None,
        Some(list) => match list.get_ref().as_slice() {
            [] => None,
            [one] => remote_address(one, c.remote_port)
                .map_err(|m| cx.at(list, format!("connection {name:?}: {m}")))?,
            _ => {
                return Err(cx.at(
                    list,
                    format!("connection {name:?}: only one remote address is supported"),
                ));
            }
        },
    };
    let mut local_addrs = c.local_addrs.clone();
    if local_addrs.is_empty() {
        if let Some(r) = remote_addr.filter(|r| !r.is_unspecified()) {
            // NAT detection hashes our real source address, so an initiator must know it.
            match source_address_for(SocketAddr::new(r, c.remote_port)) {
                Ok(ip) => local_addrs.push(ip),
                Err(e) => tracing::warn!(
                    connection = name,
                    remote = %r,
                    error = %e,
                    "cannot determine the local address; NAT detection will assume a NAT"
                ),
            }
        }
    }

    let ike_proposals = match &c.proposals {
        Some(v) if v.get_ref().is_empty() => {
            return Err(cx.at(
                v,
                format!("connection {name:?}: proposals must not be empty"),
            ));
        }
        Some(v) => v.get_ref().iter().flat_map(|p| p.0.clone()).collect(),
        None => proposal::parse_ike(proposal::DEFAULT_IKE).map_err(at_conn)?,
    };

    let local = c.local.get_ref();
    let remote = c.remote.get_ref();
    let local_id = local.id.as_ref().map(|i| i.0.clone()).ok_or_else(|| {
        cx.at(
            &c.local,
            format!("connection {name:?}: local id is required"),
        )
    })?;
    let remote_id = remote.id.as_ref().map(|i| i.0.clone());

    let needs_psk = local.auth == AuthKind::Psk || remote.auth == AuthKind::Psk;
    let psk =
        if needs_psk {
            Some(find_psk(name, &local_id, remote_id.as_ref(), psks).ok_or_else(|| {
            at_conn(format!(
                "psk authentication but no secret: add [secrets.psk.{name}] secret = \"...\""
            ))
        })?)
        } else {
            None
        };
    let local_auth = auth(cx, name, "local", &c.local, psk.clone())?;
    let remote_auth = auth(cx, name, "remote", &c.remote, psk)?;

    let mut children = Vec::new();
    for (cname, ch) in &c.children.0 {
        children.push(child(cx, name, cname, ch)?);
    }
    let resumption = match c.resumption.as_ref().map(Spanned::get_ref) {
        None => ResumptionConfig::default(),
        Some(r) => ResumptionConfig {
            request_tickets: r.request_tickets,
            issue_tickets: r.issue_tickets,
            ticket_lifetime: r.ticket_lifetime.0,
            auth_form: match r.auth_form {
                AuthForm::Rfc => ResumeAuthForm::Rfc,
                AuthForm::Libreswan => ResumeAuthForm::Libreswan,
            },
        },
    };
    let conn = ConnectionConfig {
        name: name.to_string(),
        local_addrs,
        remote_addr,
        remote_port: c.remote_port,
        local_id,
        remote_id,
        local_auth,
        remote_auth,
        ike_proposals,
        children,
        rekey_time: c.rekey_time.0,
        dpd_delay: c.dpd_delay.map(|d| d.0).unwrap_or_default(),
        resumption,
        fragmentation: c.fragmentation,
    };
    conn.validate().map_err(|e| at_conn(e.to_string()))?;
    Ok(conn)
}

/// `%any`, an IP address, or a host name resolved now.
fn remote_address(s: &str, port: u16) -> Result<Option<IpAddr>, String> {
    if s == "%any" || s == "%any4" || s == "%any6" {
        return Ok(None);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Some(ip));
    }
    let mut addrs = (s, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve remote address {s:?}: {e}"))?;
    addrs
        .next()
        .map(|a| Some(a.ip()))
        .ok_or_else(|| format!("remote address {s:?} resolves to nothing"))
}

/// The source address the kernel would pick to reach `remote` (a connected UDP socket sends
/// nothing, it only routes).
pub(crate) fn source_address_for(remote: SocketAddr) -> std::io::Result<IpAddr> {
    let any: SocketAddr = if remote.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let s = UdpSocket::bind(any)?;
    s.connect(remote)?;
    Ok(s.local_addr()?.ip())
}

/// The PSK of a connection: `[secrets.psk.<name>]`, else the first entry whose `ids` list the
/// remote identity, else one listing the local identity.
fn find_psk(
    name: &str,
    local_id: &Identity,
    remote_id: Option<&Identity>,
    psks: &[(String, Spanned<RawPsk>)],
) -> Option<Arc<SecretBytes>> {
    let by_name = psks.iter().find(|(n, _)| n == name);
    let by_id = |id: &Identity| {
        psks.iter()
            .find(|(_, p)| p.get_ref().ids.iter().any(|i| i.0 == *id))
    };
    by_name
        .or_else(|| remote_id.and_then(by_id))
        .or_else(|| by_id(local_id))
        .map(|(_, p)| Arc::new(SecretBytes::from_slice(&p.get_ref().secret.0)))
}

fn read_file(
    cx: &Ctx<'_>,
    conn: &str,
    what: &str,
    p: &Spanned<String>,
) -> Result<String, ConfigError> {
    let full = cx.resolve(p.get_ref());
    std::fs::read_to_string(&full).map_err(|e| {
        cx.at(
            p,
            format!(
                "connection {conn:?}: cannot read {what} {}: {e}",
                full.display()
            ),
        )
    })
}

fn certs(
    cx: &Ctx<'_>,
    conn: &str,
    what: &str,
    list: &Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<Certificate>, ConfigError> {
    let mut out = Vec::new();
    for p in list.get_ref() {
        let pem = read_file(cx, conn, what, p)?;
        let chain = Certificate::from_pem(&pem).map_err(|e| {
            cx.at(
                p,
                format!("connection {conn:?}: bad {what} {}: {e}", p.get_ref()),
            )
        })?;
        if chain.is_empty() {
            return Err(cx.at(
                p,
                format!("connection {conn:?}: no certificate in {}", p.get_ref()),
            ));
        }
        out.extend(chain);
    }
    Ok(out)
}

fn auth(
    cx: &Ctx<'_>,
    conn: &str,
    side: &str,
    sa: &Spanned<RawAuth>,
    psk: Option<Arc<SecretBytes>>,
) -> Result<AuthConfig, ConfigError> {
    let a = sa.get_ref();
    let bad = |m: String| cx.at(sa, format!("connection {conn:?}: {side}: {m}"));
    match a.auth {
        AuthKind::Psk => {
            if a.certs.is_some() || a.key.is_some() || a.cacerts.is_some() {
                return Err(bad("certs, key and cacerts need auth = \"pubkey\"".into()));
            }
            // find_psk succeeded whenever any side uses psk.
            psk.map(AuthConfig::Psk)
                .ok_or_else(|| bad("no pre-shared key".into()))
        }
        AuthKind::Pubkey if side == "local" => {
            if a.cacerts.is_some() {
                return Err(bad("cacerts belong to the remote side".into()));
            }
            let list = a
                .certs
                .as_ref()
                .filter(|l| !l.get_ref().is_empty())
                .ok_or_else(|| bad("pubkey authentication needs certs".into()))?;
            let certs = certs(cx, conn, "certificate", list)?;
            let kp = a
                .key
                .as_ref()
                .ok_or_else(|| bad("pubkey authentication needs key".into()))?;
            let pem = zeroize::Zeroizing::new(read_file(cx, conn, "key", kp)?);
            let key = SigningKey::from_pem(&pem).map_err(|e| {
                cx.at(
                    kp,
                    format!("connection {conn:?}: bad key {}: {e}", kp.get_ref()),
                )
            })?;
            Ok(AuthConfig::PubKey(PubKeyAuth {
                certs,
                key: Some(Arc::new(key)),
                cas: Vec::new(),
            }))
        }
        AuthKind::Pubkey => {
            if a.certs.is_some() || a.key.is_some() {
                return Err(bad("certs and key belong to the local side".into()));
            }
            let list = a
                .cacerts
                .as_ref()
                .filter(|l| !l.get_ref().is_empty())
                .ok_or_else(|| bad("pubkey authentication needs cacerts".into()))?;
            Ok(AuthConfig::PubKey(PubKeyAuth {
                certs: Vec::new(),
                key: None,
                cas: certs(cx, conn, "CA certificate", list)?,
            }))
        }
    }
}

fn child(
    cx: &Ctx<'_>,
    conn: &str,
    name: &str,
    sc: &Spanned<RawChild>,
) -> Result<ChildConfig, ConfigError> {
    let c = sc.get_ref();
    let bad = |m: String| cx.at(sc, format!("child {conn}/{name}: {m}"));
    let esp_proposals = match &c.esp_proposals {
        Some(v) if v.get_ref().is_empty() => {
            return Err(cx.at(
                v,
                format!("child {conn}/{name}: esp_proposals must not be empty"),
            ));
        }
        Some(v) => v.get_ref().iter().flat_map(|p| p.0.clone()).collect(),
        None => proposal::parse_esp(proposal::DEFAULT_ESP).map_err(bad)?,
    };
    // `dynamic` (None) mixed with real selectors makes no sense; all-dynamic is the empty list.
    let ts = |v: &[super::value::Ts], which: &str| -> Result<_, ConfigError> {
        let dynamic = v.iter().filter(|t| t.0.is_none()).count();
        if dynamic != 0 && dynamic != v.len() {
            return Err(bad(format!("{which} mixes \"dynamic\" with subnets")));
        }
        Ok(v.iter().filter_map(|t| t.0.clone()).collect::<Vec<_>>())
    };
    let rekey_time = c.rekey_time.0;
    let life_time = match &c.life_time {
        Some(l) => {
            if !rekey_time.is_zero() && l.get_ref().0 <= rekey_time {
                return Err(cx.at(
                    l,
                    format!("child {conn}/{name}: life_time must be longer than rekey_time"),
                ));
            }
            l.get_ref().0
        }
        // strongSwan's default: 10% above the rekey time.
        None => rekey_time + rekey_time / 10,
    };
    Ok(ChildConfig {
        name: name.to_string(),
        mode: match c.mode {
            Mode::Tunnel => ChildMode::Tunnel,
            Mode::Transport => ChildMode::Transport,
        },
        local_ts: ts(&c.local_ts, "local_ts")?,
        remote_ts: ts(&c.remote_ts, "remote_ts")?,
        esp_proposals,
        rekey_time,
        life_time,
    })
}
