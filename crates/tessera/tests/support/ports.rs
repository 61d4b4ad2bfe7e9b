//! Free UDP port pairs on the loopback interface for daemons that accept private ports.
//!
//! strongSwan facts the caller must keep in mind (peers survey, surprises 1 and 2):
//! - when **neither** port of a packet is 500, charon prepends the 4-byte non-ESP marker to every
//!   IKE message (RFC 3948 framing, as on port 4500), so a peer on a private port must expect it;
//! - with MOBIKE on (the default) charon floats to its `port_nat_t` for IKE_AUTH even without
//!   NAT; put `mobike = no` in the swanctl connection to keep one port for the whole SA.
//!
//! pluto cannot use private ports as a daemon-wide setting (only per connection with
//! `leftikeport=`), so libreswan peers run in network namespaces on 500/4500 ([`super::netns`]).

use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};

use super::{Result, io_err};

/// An IKE port and a NAT-T port, both free on 127.0.0.1 and [::] when picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortPair {
    /// The IKE port (`charon.port`).
    pub ike: u16,
    /// The NAT-T port (`charon.port_nat_t`).
    pub natt: u16,
}

/// Picks two distinct free UDP ports. charon binds the wildcard addresses of both families,
/// so a port only counts as free when it can be bound on 0.0.0.0 and [::]. The kernel hands out
/// ephemeral ports, so parallel tests rarely collide; a daemon that loses the race fails to
/// start and the test reports it.
pub fn free_udp_port_pair() -> Result<PortPair> {
    let have_v6 = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).is_ok();
    for _ in 0..64 {
        let a =
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(io_err("binding a UDP port"))?;
        let b =
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(io_err("binding a UDP port"))?;
        let ike = a.local_addr().map_err(io_err("local_addr"))?.port();
        let natt = b.local_addr().map_err(io_err("local_addr"))?.port();
        // 500 and 4500 would switch the marker logic off; ephemeral ports never are, but be explicit.
        if [500, 4500].contains(&ike) || [500, 4500].contains(&natt) {
            continue;
        }
        let v6_free = |p: u16| !have_v6 || UdpSocket::bind((Ipv6Addr::UNSPECIFIED, p)).is_ok();
        drop((a, b));
        if v6_free(ike) && v6_free(natt) {
            return Ok(PortPair { ike, natt });
        }
    }
    Err(super::HarnessError::Peer(
        "no free UDP port pair found".into(),
    ))
}
