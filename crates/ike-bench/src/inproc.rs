//! An in-memory network between one client endpoint and one gateway endpoint: datagrams are
//! handed over directly, with a virtual clock that never moves unless asked. Used to capture
//! real handshakes for the benches and to build many SAs quickly for the memory probe.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use ike_proto::{Endpoint, Event};

/// The client's address in the in-memory network (TEST-NET-1; never sent anywhere).
pub const CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
/// The gateway's address in the in-memory network.
pub const GW_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

/// One datagram that crossed the in-memory network.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Sent by the client (true) or the gateway.
    pub from_client: bool,
    /// Sender address.
    pub from: SocketAddr,
    /// Receiver address.
    pub to: SocketAddr,
    /// UDP payload as sent.
    pub bytes: Vec<u8>,
}

impl Captured {
    /// The IKE exchange type of this datagram (after the non-ESP marker), if it parses.
    pub fn exchange(&self) -> Option<ike_wire::ExchangeType> {
        match ike_proto::transmit::classify(&self.bytes) {
            ike_proto::transmit::Datagram::Ike(b) => ike_wire::Message::parse(b)
                .ok()
                .map(|m| m.header.exchange_type),
            _ => None,
        }
    }

    /// The IKE message without the non-ESP marker.
    pub fn ike(&self) -> &[u8] {
        match ike_proto::transmit::classify(&self.bytes) {
            ike_proto::transmit::Datagram::Ike(b) => b,
            _ => &self.bytes,
        }
    }
}

/// Move datagrams between `client` and `gw` until both are quiet. Every datagram is appended
/// to `log` when given; events are appended to `client_events` / `gw_events`.
pub fn exchange(
    now: Instant,
    client: &mut Endpoint,
    gw: &mut Endpoint,
    mut log: Option<&mut Vec<Captured>>,
    client_events: &mut Vec<Event>,
    gw_events: &mut Vec<Event>,
) {
    loop {
        let mut moved = false;
        while let Some(t) = client.poll_transmit() {
            let from = SocketAddr::new(fill(t.local.ip(), CLIENT_IP), t.local.port());
            if let Some(log) = log.as_deref_mut() {
                log.push(Captured {
                    from_client: true,
                    from,
                    to: t.remote,
                    bytes: t.contents.clone(),
                });
            }
            gw.handle(now, t.remote, from, &t.contents);
            moved = true;
        }
        while let Some(t) = gw.poll_transmit() {
            let from = SocketAddr::new(fill(t.local.ip(), GW_IP), t.local.port());
            if let Some(log) = log.as_deref_mut() {
                log.push(Captured {
                    from_client: false,
                    from,
                    to: t.remote,
                    bytes: t.contents.clone(),
                });
            }
            client.handle(now, t.remote, from, &t.contents);
            moved = true;
        }
        while let Some(e) = client.poll_event() {
            client_events.push(e);
        }
        while let Some(e) = gw.poll_event() {
            gw_events.push(e);
        }
        if !moved {
            return;
        }
    }
}

fn fill(ip: IpAddr, default: IpAddr) -> IpAddr {
    if ip.is_unspecified() { default } else { ip }
}
