//! `tessera demo`: a responder and an initiator in one process, talking over real UDP sockets
//! on 127.0.0.1 (ephemeral ports), PSK-authenticated with x25519 / AES-256-GCM / PRF-SHA256.
//! Prints every datagram's exchange, the negotiated SAs on both sides; then suspends the
//! initiator's SA and resumes it with its RFC 5723 ticket (IKE_SESSION_RESUME), comparing SPIs
//! and timing with the full handshake; then tears down.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_crypto::SecretBytes;
use ike_proto::transmit::{Datagram, classify};
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, Identity, ResumptionConfig, TsConfig,
};
use ike_wire::IkeHeader;

use crate::config::{DaemonConfig, parse_esp, parse_ike};
use crate::control::{Request, Response, SaJson};
use crate::driver::{Direction, Driver, DriverHandle};
use crate::kernel::NoneBackend;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Every step of the demo must finish within this.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn daemon_config() -> DaemonConfig {
    DaemonConfig {
        listen: vec![LOOPBACK],
        port: 0,
        natt_port: 0,
        remote_natt_port: 4500,
        control_socket: "/nonexistent".into(),
        state_dir: "/nonexistent".into(),
        log_file: "/nonexistent".into(),
        cookie_threshold: 1000,
        half_open_limit: 1000,
        retransmit_timeout: Duration::from_millis(500),
        retransmit_tries: 3,
        log_level: "warn".into(),
        ticket_key_file: "/nonexistent".into(),
        ticket_key_rotation: Duration::from_secs(24 * 3600),
        wireshark_keys: None,
        fragment_mtu: 1232,
        workers: 1,
    }
}

fn ts(s: &str) -> Result<TsConfig, String> {
    TsConfig::parse(s)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "dynamic selector".to_string())
}

/// A connection with the demo's algorithms and a fresh random PSK shared by both sides.
pub(crate) fn connection(
    name: &str,
    local_id: &str,
    remote: Option<SocketAddr>,
    psk: &Arc<SecretBytes>,
    local_ts: &str,
    remote_ts: &str,
) -> Result<ConnectionConfig, String> {
    let id = |s: &str| Identity::parse(s).map_err(|e| e.to_string());
    Ok(ConnectionConfig {
        name: name.into(),
        local_addrs: vec![LOOPBACK],
        remote_addr: remote.map(|r| r.ip()),
        remote_port: remote.map_or(500, |r| r.port()),
        local_id: id(local_id)?,
        remote_id: None,
        local_auth: AuthConfig::Psk(psk.clone()),
        remote_auth: AuthConfig::Psk(psk.clone()),
        ike_proposals: parse_ike("aes256gcm16-prfsha256-x25519")?,
        children: vec![ChildConfig {
            name: "net".into(),
            mode: ChildMode::Tunnel,
            local_ts: vec![ts(local_ts)?],
            remote_ts: vec![ts(remote_ts)?],
            esp_proposals: parse_esp("aes256gcm16")?,
            rekey_time: Duration::from_secs(3600),
            life_time: Duration::from_secs(3960),
        }],
        rekey_time: Duration::from_secs(4 * 3600),
        dpd_delay: Duration::ZERO,
        resumption: ResumptionConfig::default(),
        fragmentation: true,
    })
}

/// Print each datagram once, as its sender sees it.
fn tap(me: &'static str, peer: &'static str, start: Instant) -> crate::driver::Tap {
    Box::new(move |dir, _local, _remote, bytes| {
        if dir != Direction::Out {
            return;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let Datagram::Ike(ike) = classify(bytes) else {
            println!(
                "  {ms:7.1} ms  {me:>9} -> {peer:<9}  non-IKE datagram, {} bytes",
                bytes.len()
            );
            return;
        };
        match IkeHeader::parse(ike) {
            Ok(h) => println!(
                "  {ms:7.1} ms  {me:>9} -> {peer:<9}  {:<18} {:<8} mid {}  {} bytes",
                h.exchange_type.to_string(),
                if h.flags.is_response() {
                    "response"
                } else {
                    "request"
                },
                h.message_id,
                bytes.len()
            ),
            Err(e) => println!("  {ms:7.1} ms  {me:>9} -> {peer:<9}  unparseable: {e}"),
        }
    })
}

async fn ask(h: &DriverHandle, req: Request) -> Result<Response, String> {
    let what = format!("{req:?}");
    let r = tokio::time::timeout(STEP_TIMEOUT, h.request(req))
        .await
        .map_err(|_| format!("{what}: no result within {STEP_TIMEOUT:?}"))?;
    if r.ok {
        Ok(r)
    } else {
        Err(format!("{what}: {}", r.error.unwrap_or_default()))
    }
}

async fn list(h: &DriverHandle) -> Result<Vec<SaJson>, String> {
    Ok(ask(h, Request::List).await?.sas.unwrap_or_default())
}

fn print_sa(side: &str, s: &SaJson) {
    println!("  {side}: {} {}", s.connection, s.state);
    println!("    IKE SPIs  {}_i {}_r", s.spi_i, s.spi_r);
    println!("    local     {} [{}]", s.local, s.local_id);
    println!("    remote    {} [{}]", s.remote, s.remote_id);
    println!("    proposal  {}", s.proposal);
    for c in &s.children {
        println!(
            "    child {}: {} {}  SPIs in {} / out {}",
            c.name, c.mode, c.proposal, c.spi_in, c.spi_out
        );
        println!(
            "      {} === {}",
            c.local_ts.join(","),
            c.remote_ts.join(",")
        );
    }
}

/// Run the demo; `Err` says which step failed.
pub async fn run() -> Result<(), String> {
    let t0 = Instant::now();
    let mut secret = vec![0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
    let psk = Arc::new(SecretBytes::new(secret));

    let backend = || Box::new(NoneBackend::new());
    let resp_conn = connection(
        "gw",
        "gw.tessera.test",
        None,
        &psk,
        "10.2.0.0/16",
        "10.1.0.0/16",
    )?;
    let (mut responder, rh) = Driver::new(&daemon_config(), vec![resp_conn], backend())
        .await
        .map_err(|e| format!("responder: {e}"))?;
    let resp_addr = responder.local_addrs()[0];
    let init_conn = connection(
        "home",
        "client.tessera.test",
        Some(resp_addr),
        &psk,
        "10.1.0.0/16",
        "10.2.0.0/16",
    )?;
    let (mut initiator, ih) = Driver::new(&daemon_config(), vec![init_conn], backend())
        .await
        .map_err(|e| format!("initiator: {e}"))?;
    println!("tessera demo: IKEv2 over real UDP sockets on 127.0.0.1");
    println!(
        "  responder  {} (NAT-T {})   connection \"gw\"",
        resp_addr,
        responder.local_addrs()[1]
    );
    println!(
        "  initiator  {} (NAT-T {})   connection \"home\" -> {}",
        initiator.local_addrs()[0],
        initiator.local_addrs()[1],
        resp_addr
    );
    println!("  auth PSK (random 32 bytes), IKE aes256gcm16-prfsha256-x25519, ESP aes256gcm16\n");
    let start = Instant::now();
    responder.set_tap(tap("responder", "initiator", start));
    initiator.set_tap(tap("initiator", "responder", start));
    responder.use_ephemeral_ticket_keys(24 * 3600);
    let rtask = tokio::spawn(responder.run());
    let itask = tokio::spawn(initiator.run());

    println!("initiate home:");
    let r = ask(
        &ih,
        Request::Initiate {
            name: "home".into(),
            wait: true,
        },
    )
    .await?;
    let setup = start.elapsed();
    println!(
        "  {} in {:.1} ms\n",
        r.message.unwrap_or_default(),
        setup.as_secs_f64() * 1000.0
    );

    let (isas, rsas) = (list(&ih).await?, list(&rh).await?);
    let (Some(i), Some(r)) = (isas.first(), rsas.first()) else {
        return Err(format!(
            "expected one SA on each side, got {} and {}",
            isas.len(),
            rsas.len()
        ));
    };
    println!("SAs:");
    print_sa("initiator", i);
    print_sa("responder", r);
    if (i.spi_i.as_str(), i.spi_r.as_str()) != (r.spi_i.as_str(), r.spi_r.as_str()) {
        return Err("IKE SPIs differ between the two sides".into());
    }
    if i.state != "ESTABLISHED" || r.state != "ESTABLISHED" {
        return Err("SA not established on both sides".into());
    }
    match (i.children.first(), r.children.first()) {
        (Some(ci), Some(cr)) if ci.spi_in == cr.spi_out && ci.spi_out == cr.spi_in => {}
        _ => return Err("Child SA missing or SPIs do not pair up".into()),
    }
    println!("  both sides agree on the IKE SPIs and the Child SA SPIs\n");
    let old = (i.spi_i.clone(), i.spi_r.clone());
    let resume = suspend_and_resume(&ih, &rh, &old).await?;

    println!("terminate home:");
    let t = Instant::now();
    let r = ask(
        &ih,
        Request::Terminate {
            name: "home".into(),
            wait: true,
        },
    )
    .await?;
    println!(
        "  {} in {:.1} ms",
        r.message.unwrap_or_default(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    // The responder closes when it answers the Delete; give its task a moment to run.
    let deadline = Instant::now() + STEP_TIMEOUT;
    while !list(&rh).await?.is_empty() {
        if Instant::now() > deadline {
            return Err("responder still has the SA after terminate".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if !list(&ih).await?.is_empty() {
        return Err("initiator still has the SA after terminate".into());
    }
    println!("  no SAs left on either side");
    drop((ih, rh));
    let _ = tokio::join!(itask, rtask);
    println!(
        "\ndone: IKE SA + Child SA set up in {:.1} ms by a full handshake, {:.1} ms by \
         resumption; total {:.1} ms",
        setup.as_secs_f64() * 1000.0,
        resume.as_secs_f64() * 1000.0,
        t0.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Poll `f` until it returns `Some`, or fail with `what` after [`STEP_TIMEOUT`].
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, String>>,
{
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {STEP_TIMEOUT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// RFC 5723: suspend the initiator's SA (it keeps only the gateway's ticket and SK_d), resume
/// it with IKE_SESSION_RESUME and check that both sides run a new SA with new SPIs. Returns
/// how long the resume took.
async fn suspend_and_resume(
    ih: &DriverHandle,
    rh: &DriverHandle,
    old: &(String, String),
) -> Result<Duration, String> {
    println!(
        "suspend home (RFC 5723): the SA is replaced by the gateway's ticket; nothing is sent"
    );
    let r = ask(
        ih,
        Request::Suspend {
            name: "home".into(),
        },
    )
    .await?;
    println!("  {}", r.message.unwrap_or_default());
    let l = ask(ih, Request::List).await?;
    let suspended = l.suspended.unwrap_or_default();
    match (l.sas.unwrap_or_default().len(), suspended.first()) {
        (0, Some(s)) => println!(
            "  initiator: no IKE SA, suspended session for {} ({} -> {})\n",
            s.peer, s.local_id, s.remote_id
        ),
        (n, _) => return Err(format!("after suspend: {n} SA(s), {suspended:?}")),
    }

    println!("resume home:");
    let t = Instant::now();
    let r = ask(
        ih,
        Request::Resume {
            name: "home".into(),
            wait: true,
        },
    )
    .await?;
    let took = t.elapsed();
    println!("  {}", r.message.unwrap_or_default());
    if r.resumed != Some(true) {
        return Err(format!(
            "expected a resumption, got a full handshake: {}",
            r.fallback_reason.unwrap_or_default()
        ));
    }
    // The gateway finished its side first; its old SA of this ticket is removed silently.
    let g = eventually("gateway runs only the resumed SA", || async {
        let sas = list(rh).await?;
        Ok((sas.len() == 1 && sas[0].resumed).then(|| sas[0].clone()))
    })
    .await?;
    let isas = list(ih).await?;
    let [c] = isas.as_slice() else {
        return Err(format!("initiator has {} SAs after resume", isas.len()));
    };
    if !c.resumed || c.state != "ESTABLISHED" || (&c.spi_i, &c.spi_r) != (&g.spi_i, &g.spi_r) {
        return Err(format!("resumed SAs disagree: {c:?} vs {g:?}"));
    }
    if (&c.spi_i, &c.spi_r) == (&old.0, &old.1) {
        return Err("resumed SA reuses the old SPIs".into());
    }
    println!(
        "  old IKE SPIs  {}_i {}_r (gone on both sides)",
        old.0, old.1
    );
    println!(
        "  new IKE SPIs  {}_i {}_r, resumed on both sides",
        c.spi_i, c.spi_r
    );
    if let Some(t) = c.ticket_expires {
        let left = t.saturating_sub(crate::driver::unix_now());
        println!(
            "  the initiator holds a fresh ticket, valid for {}",
            crate::driver::human_secs(left)
        );
    }
    match (c.children.first(), g.children.first()) {
        (Some(ci), Some(cr)) if ci.spi_in == cr.spi_out && ci.spi_out == cr.spi_in => {
            println!(
                "  child {}: SPIs in {} / out {}\n",
                ci.name, ci.spi_in, ci.spi_out
            )
        }
        _ => return Err("Child SA missing or SPIs do not pair up after resume".into()),
    }
    Ok(took)
}

#[cfg(test)]
mod tests {
    /// The demo is an end-to-end check in itself: it fails unless both sides agree on SPIs.
    #[tokio::test]
    async fn demo_succeeds() {
        super::run().await.unwrap();
    }
}
