//! Outgoing datagrams.

use std::net::SocketAddr;

/// The 4-octet zero "non-ESP marker" that precedes IKE messages on NAT-T ports (RFC 3948 §2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// One UDP datagram for the driver to send.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Local address (selects the socket).
    pub local: SocketAddr,
    /// Destination.
    pub remote: SocketAddr,
    /// UDP payload, including the non-ESP marker when one is needed.
    pub contents: Vec<u8>,
}

/// Does traffic between these ports carry the non-ESP marker? As strongSwan and libreswan do,
/// every IKE message gets the marker unless one side uses port 500: on 4500 this is RFC 3948,
/// and on custom ports both major implementations frame like 4500.
pub fn needs_marker(local: SocketAddr, remote: SocketAddr) -> bool {
    local.port() != 500 && remote.port() != 500
}

impl Transmit {
    /// Frame an IKE message for the wire between `local` and `remote`.
    pub fn ike(local: SocketAddr, remote: SocketAddr, ike: &[u8]) -> Transmit {
        let mut contents = Vec::with_capacity(ike.len() + 4);
        if needs_marker(local, remote) {
            contents.extend_from_slice(&NON_ESP_MARKER);
        }
        contents.extend_from_slice(ike);
        Transmit {
            local,
            remote,
            contents,
        }
    }
}

/// What a received UDP payload is, after NAT-T framing is removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Datagram<'a> {
    /// An IKE message (marker stripped).
    Ike(&'a [u8]),
    /// A NAT-keepalive (0xFF).
    Keepalive,
    /// ESP (not ours to handle in user space).
    Esp,
}

impl<'a> Datagram<'a> {
    /// The IKE message, if this is one.
    pub fn ike(&self) -> Option<&'a [u8]> {
        match self {
            Datagram::Ike(b) => Some(b),
            _ => None,
        }
    }
}

/// Classify a received UDP payload. A leading zero SPI can never start an IKE message, so four
/// zero octets unambiguously mark the non-ESP marker on any port.
pub fn classify(payload: &[u8]) -> Datagram<'_> {
    if payload == [0xff] {
        return Datagram::Keepalive;
    }
    match payload.split_first_chunk::<4>() {
        Some((m, rest)) if *m == NON_ESP_MARKER => Datagram::Ike(rest),
        Some(_) if payload.len() >= 28 && payload[17] & 0xf0 == 0x20 => Datagram::Ike(payload),
        _ => Datagram::Esp,
    }
}
