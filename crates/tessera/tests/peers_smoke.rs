//! Smoke tests of the real-peer harness (`tests/support`): third-party daemons talking to each
//! other through it. They stand in until the Tessera daemon exists, and prove that starting,
//! configuring, initiating and listing SAs works on this machine kind.
//!
//! Run with root after `scripts/install-peers.sh`; without the peers they are skipped (or fail
//! with `CI=true`).

mod support;

use std::time::Duration;

use support::{
    Charon, Initiate, Libreswan, Netns, Peer, Pluto, PlutoConf, StrongswanConf, free_udp_port_pair,
    require_peer,
};

const PSK: &str = "tessera-smoke-psk-0123456789";

/// A responder connection accepting any initiator ID with a PSK.
fn charon_responder_conn(local: &str, psk: &str) -> String {
    format!(
        "connections {{
    resp {{
        version = 2
        local_addrs = {local}
        proposals = aes128gcm16-prfsha256-x25519, aes128-sha256-ecp256
        local {{
            auth = psk
            id = responder.test
        }}
        remote {{
            auth = psk
            id = %any
        }}
    }}
}}
secrets {{
    ike-psk {{
        secret = \"{psk}\"
    }}
}}
"
    )
}

/// An IKE-only (RFC 6023 childless) initiator connection. `mobike = no` keeps IKE_AUTH on the
/// IKE port instead of floating to NAT-T.
fn charon_initiator_conn(local: &str, remote: &str, remote_port: u16, psk: &str) -> String {
    format!(
        "connections {{
    init {{
        version = 2
        local_addrs = {local}
        remote_addrs = {remote}
        remote_port = {remote_port}
        proposals = aes128gcm16-prfsha256-x25519
        childless = force
        mobike = no
        local {{
            auth = psk
            id = initiator.test
        }}
        remote {{
            auth = psk
            id = responder.test
        }}
    }}
}}
secrets {{
    ike-psk {{
        secret = \"{psk}\"
    }}
}}
"
    )
}

#[test]
fn swanctl_pretty_parser_reads_ike_and_child_sas() {
    // Shape of `swanctl --list-sas --pretty` output from strongSwan 5.9.8 (an IKE SA with one
    // Child SA and a DN identity containing spaces and '=').
    let text = "list-sa event {
  net-conn {
    uniqueid = 7
    version = 2
    state = ESTABLISHED
    local-host = 198.18.0.1
    local-port = 4500
    local-id = C=CH, O=Test, CN=a.test
    remote-host = 198.18.0.2
    remote-port = 4500
    remote-id = responder.test
    initiator = yes
    initiator-spi = 91f5c0f7e636b967
    responder-spi = ddf016d01ba922ab
    encr-alg = AES_CBC
    encr-keysize = 128
    integ-alg = HMAC_SHA2_256_128
    prf-alg = PRF_HMAC_SHA2_256
    dh-group = ECP_256
    child-sas {
      tun-3 {
        name = tun
        uniqueid = 3
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        spi-in = c04578bc
        spi-out = 20c32098
        encr-alg = AES_GCM_16
        encr-keysize = 128
        local-ts = [
          198.19.1.1/32
        ]
        remote-ts = [
          198.19.2.1/32
          198.19.3.0/24
        ]
      }
    }
  }
}
list-sas reply {
}
";
    let sas = support::charon::parse_list_sas(text).expect("parses");
    assert_eq!(sas.len(), 1);
    let sa = &sas[0];
    assert_eq!(sa.name, "net-conn");
    assert!(sa.is_established());
    assert_eq!(sa.local, ("198.18.0.1".to_string(), 4500));
    assert_eq!(sa.local_id, "C=CH, O=Test, CN=a.test");
    assert!(sa.initiator);
    assert_eq!(
        (sa.spi_i.as_str(), sa.spi_r.as_str()),
        ("91f5c0f7e636b967", "ddf016d01ba922ab")
    );
    assert_eq!(
        sa.proposal(),
        "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"
    );
    assert_eq!(sa.children.len(), 1);
    let c = &sa.children[0];
    assert_eq!(
        (c.name.as_str(), c.state.as_str(), c.mode.as_str()),
        ("tun", "INSTALLED", "TUNNEL")
    );
    assert_eq!(
        (c.spi_in.as_str(), c.spi_out.as_str()),
        ("c04578bc", "20c32098")
    );
    assert_eq!(c.local_ts, vec!["198.19.1.1/32"]);
    assert_eq!(c.remote_ts, vec!["198.19.2.1/32", "198.19.3.0/24"]);
    assert!(c.integ_alg.is_none());

    // unbalanced input is an error, not a silent empty list
    assert!(support::charon::parse_list_sas("list-sa event {\n  x {\n").is_err());
}

#[test]
fn pluto_state_parser_reads_both_versions() {
    let v52 = "#1: \"resp\"[2] 198.18.0.1:4500 ESTABLISHED_IKE_SA (established IKE SA); REKEY in 28529s; newest; idle;\n\
               #2: \"init\":500 ESTABLISHED_CHILD_SA (established Child SA); newest;\n\
               \"resp\"[2]:   session resume ticket: none\n";
    let v410 = "000 #1: \"resp\"[2] 10.250.0.1:4500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 27s;\n\
                000 #3: \"resp\"[3] 10.250.0.1 STATE_V2_PARENT_R1 (sent IKE_SA_INIT reply); EVENT_v2_DISCARD in 60s;\n";
    let s = support::pluto::parse_states(v52);
    assert_eq!(s.len(), 2);
    assert_eq!(
        (s[0].serial, s[0].conn.as_str(), s[0].state.as_str()),
        (1, "resp", "ESTABLISHED_IKE_SA")
    );
    assert!(s[0].is_established_ike() && !s[0].is_established_child());
    assert_eq!(
        (s[1].conn.as_str(), s[1].state.as_str()),
        ("init", "ESTABLISHED_CHILD_SA")
    );
    let s = support::pluto::parse_states(v410);
    assert_eq!(s.len(), 2);
    assert!(s[0].is_established_ike());
    assert_eq!(
        (s[1].serial, s[1].state.as_str()),
        (3, "STATE_V2_PARENT_R1")
    );
    assert!(!s[1].is_established_ike());
}

/// Two charons on 127.0.0.1 with private ports: PSK, x25519 + AES-GCM, IKE SA established on
/// both sides with matching SPIs, proposal and endpoints.
#[test]
fn charon_to_charon_loopback_psk() {
    if !require_peer(Peer::Charon) {
        return;
    }
    let (rp, ip) = (free_udp_port_pair().unwrap(), free_udp_port_pair().unwrap());
    let resp = Charon::start(
        "resp",
        &StrongswanConf::loopback(rp).render(),
        &charon_responder_conn("127.0.0.1", PSK),
    )
    .expect("responder starts");
    let init = Charon::start(
        "init",
        &StrongswanConf::loopback(ip).render(),
        &charon_initiator_conn("127.0.0.1", "127.0.0.1", rp.ike, PSK),
    )
    .expect("initiator starts");
    resp.load_conn().expect("responder loads");
    init.load_conn().expect("initiator loads");

    let out = init
        .initiate(Initiate::Ike("init"))
        .expect("IKE SA comes up");
    assert!(
        out.contains("selected proposal: IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"),
        "{out}"
    );

    let i = init.list_sas().unwrap();
    let r = resp.list_sas().unwrap();
    assert_eq!((i.len(), r.len()), (1, 1), "one IKE SA each: {i:#?} {r:#?}");
    let (i, r) = (&i[0], &r[0]);
    assert!(i.is_established() && r.is_established(), "{i:#?} {r:#?}");
    assert!(i.initiator && !r.initiator);
    assert_eq!(
        (&i.spi_i, &i.spi_r),
        (&r.spi_i, &r.spi_r),
        "both sides agree on the SPIs"
    );
    assert_eq!(i.spi_i.len(), 16);
    assert_ne!(i.spi_r, "0000000000000000");
    for sa in [i, r] {
        assert_eq!(
            sa.proposal(),
            "AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"
        );
        assert!(sa.children.is_empty(), "childless");
    }
    // mobike = no: the whole exchange stayed on the private IKE ports (no NAT-T float)
    assert_eq!(i.local, ("127.0.0.1".to_string(), ip.ike));
    assert_eq!(i.remote, ("127.0.0.1".to_string(), rp.ike));
    assert_eq!(r.remote.1, ip.ike);
    assert_eq!(
        (i.local_id.as_str(), r.local_id.as_str()),
        ("initiator.test", "responder.test")
    );
    resp.wait_for_log("established between", Duration::from_secs(5))
        .unwrap();
}

/// The harness must report failure, not only success: a wrong PSK leaves no established SA.
#[test]
fn charon_wrong_psk_is_rejected() {
    if !require_peer(Peer::Charon) {
        return;
    }
    let (rp, ip) = (free_udp_port_pair().unwrap(), free_udp_port_pair().unwrap());
    let resp = Charon::start(
        "resp",
        &StrongswanConf::loopback(rp).render(),
        &charon_responder_conn("127.0.0.1", PSK),
    )
    .expect("responder starts");
    let init = Charon::start(
        "init",
        &StrongswanConf::loopback(ip).render(),
        &charon_initiator_conn(
            "127.0.0.1",
            "127.0.0.1",
            rp.ike,
            "not-the-right-psk-0123456789",
        ),
    )
    .expect("initiator starts");
    resp.load_conn().unwrap();
    init.load_conn().unwrap();
    let err = init
        .initiate(Initiate::Ike("init"))
        .expect_err("authentication must fail");
    assert!(err.to_string().contains("AUTHENTICATION_FAILED"), "{err}");
    assert!(
        init.list_sas()
            .unwrap()
            .iter()
            .all(|sa| !sa.is_established())
    );
    assert!(
        resp.list_sas()
            .unwrap()
            .iter()
            .all(|sa| !sa.is_established())
    );
}

/// strongSwan initiator (netns a, port 500) → pluto responder (netns b), IKE-only.
fn charon_to_pluto(version: Libreswan) {
    let ns = Netns::pair().expect("namespaces");
    let (a, b) = (ns.a.addr().to_string(), ns.b.addr().to_string());
    let updown = if version == Libreswan::V5_2 {
        "    leftupdown=%disabled\n"
    } else {
        ""
    };
    let keyexchange = if version == Libreswan::V5_2 {
        "keyexchange=ikev2"
    } else {
        "ikev2=yes"
    };
    let conns = format!(
        "conn resp
    {keyexchange}
    authby=secret
    left={b}
    leftid=@responder.test
    right=%any
    rightid=%any
    ike=aes_gcm128-sha2_256-dh31
    esp=aes_gcm128
{updown}    auto=add
"
    );
    let pluto =
        Pluto::start(&ns.b, "resp", &PlutoConf::psk(version, &conns, PSK)).expect("pluto starts");
    let charon = Charon::start_in(
        &ns.a,
        "init",
        &StrongswanConf::default_ports().render(),
        &charon_initiator_conn(&a, &b, 500, PSK),
    )
    .expect("charon starts");
    charon.load_conn().unwrap();
    charon
        .initiate(Initiate::Ike("init"))
        .expect("IKE SA with pluto");

    let sas = charon.list_sas().unwrap();
    assert_eq!(sas.len(), 1, "{sas:#?}");
    assert!(sas[0].is_established());
    assert_eq!(
        sas[0].proposal(),
        "AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"
    );
    assert_eq!(sas[0].remote, (b.clone(), 500));
    let st = pluto
        .wait_established_ike("resp", Duration::from_secs(5))
        .expect("pluto lists the IKE SA");
    assert!(st.line.contains(&a), "{st:?}");
    pluto
        .wait_for_log("creating childless SA", Duration::from_secs(5))
        .unwrap();
}

#[test]
fn charon_to_pluto_5_2_in_netns() {
    if !require_peer(Peer::Charon) || !require_peer(Peer::Pluto5) {
        return;
    }
    charon_to_pluto(Libreswan::V5_2);
}

#[test]
fn charon_to_pluto_4_10_in_netns() {
    if !require_peer(Peer::Charon) || !require_peer(Peer::Pluto4) {
        return;
    }
    charon_to_pluto(Libreswan::V4_10);
}

/// pluto 5.2 ↔ pluto 5.2, RFC 5723: ticket issued in IKE_AUTH, suspend, IKE_SESSION_RESUME
/// accepted by the responder (peers-libreswan5.md recipe, childless via impairments).
#[test]
fn pluto_5_2_session_resumption() {
    if !require_peer(Peer::Pluto5) {
        return;
    }
    let ns = Netns::pair().expect("namespaces");
    let (a, b) = (ns.a.addr().to_string(), ns.b.addr().to_string());
    let conn = |name: &str, left: &str, lid: &str, right: &str, rid: &str| {
        format!(
            "conn {name}
    keyexchange=ikev2
    authby=secret
    left={left}
    leftid=@{lid}
    right={right}
    rightid=@{rid}
    ike=aes_gcm128-sha2_256-dh31
    esp=aes_gcm128
    session-resumption=yes
    leftupdown=%disabled
    auto=add
"
        )
    };
    let resp = Pluto::start(
        &ns.b,
        "resp",
        &PlutoConf::psk(
            Libreswan::V5_2,
            &conn("resp", &b, "responder.test", &a, "initiator.test"),
            PSK,
        ),
    )
    .expect("responder");
    let init = Pluto::start(
        &ns.a,
        "init",
        &PlutoConf::psk(
            Libreswan::V5_2,
            &conn("init", &a, "initiator.test", &b, "responder.test"),
            PSK,
        ),
    )
    .expect("initiator");

    init.impair("omit_v2_ike_auth_child").unwrap();
    init.initiate("init").unwrap();
    let first = init
        .wait_established_ike("init", Duration::from_secs(10))
        .expect("first IKE SA");
    let ticket = support::process::wait_until("ticket", Duration::from_secs(5), || {
        init.resume_ticket_len("init")
    })
    .expect("initiator stores a TICKET_LT_OPAQUE ticket");
    assert!(ticket > 0);

    init.suspend("init").unwrap();
    resp.impair("ignore_v2_ike_auth_child").unwrap();
    init.initiate("init").unwrap();
    resp.wait_for_log(
        "authenticated peer using authby=session-resume",
        Duration::from_secs(10),
    )
    .expect("responder accepted IKE_SESSION_RESUME");
    init.wait_for_log("sent IKE_SESSION_RESUME request", Duration::from_secs(5))
        .unwrap();
    let resumed = init
        .wait_established_ike("init", Duration::from_secs(5))
        .expect("resumed IKE SA");
    assert!(
        resumed.serial > first.serial,
        "a new IKE SA, not the suspended one: {first:?} {resumed:?}"
    );
    assert!(
        init.log().contains(
            "initiator established IKE SA; authenticated peer using authby=session-resume"
        )
    );
}
