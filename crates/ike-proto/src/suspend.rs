//! [`SuspendedSession`]: the client's suspended IKE SA (DESIGN "the suspend question";
//! RFC 5723 §4.2, §9.7).
//!
//! Suspending replaces an IKE SA by this one value: the opaque ticket, SK_d, the IKE transforms,
//! IDi/IDr, the expiry, the connection and the peer. Keys are moved in, zeroized on drop and never
//! printed. The daemon's session store may persist it (one 0600 file per connection) in the format
//! of [`SuspendedSession::encode`]:
//!
//! ```text
//! b"TSRS" | version(1)=1 | connection: len(2) name | ticket: len(2) bytes |
//! suite: encr(2) key_bits(2) prf(2) integ(2) dh(2) | SK_d: len(2) key |
//! IDi: type(1) len(2) data | IDr: type(1) len(2) data | expires_at(8) | suspended_at(8) |
//! peer: 4 addr(4) port(2) | 6 addr(16) port(2) scope_id(4) |
//! local: 0 | 4 addr(4) | 6 addr(16) |
//! mac(16) = HMAC-SHA-256("tessera suspended session v1", everything before)[..16]
//! ```
//!
//! The MAC detects torn writes and bit rot, not attackers (the label is public): protecting the
//! file is the file system's job.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use ike_crypto::{IkeSuite, SecretBytes};

use crate::config::Identity;
use crate::ticket::TicketError;
use crate::ticket::codec::{
    FILE_MAC_LEN, MAX_FIELD_LEN, Reader, SUITE_LEN, Writer, get_identity, get_suite, identity_len,
    put_identity, put_suite, verify_file_mac,
};

/// Longest ticket a suspended session keeps. Tickets are opaque to the client and another
/// gateway's may be larger than ours ([`crate::ticket::MAX_TICKET_LEN`]), but one that does not
/// fit in an unfragmented IKE_SESSION_RESUME datagram is useless anyway.
pub const MAX_SESSION_TICKET_LEN: usize = 2048;

/// Longest session file [`SuspendedSession::decode`] looks at (checked before parsing).
pub const MAX_SESSION_FILE_LEN: usize = 4096;

const MAGIC: &[u8; 4] = b"TSRS";
const VERSION: u8 = 1;
const MAC_LABEL: &[u8] = b"tessera suspended session v1";

/// A suspended IKE SA on the client, ready to be resumed with IKE_SESSION_RESUME.
///
/// `Debug` redacts SK_d and the ticket (RFC 5723 §9.7: a stolen ticket plus SK_d is a session).
/// SK_d is wiped on drop; the ticket is not (it crosses the network in the clear in
/// IKE_SESSION_RESUME and is useless without SK_d, §9.1), which keeps the fields movable.
pub struct SuspendedSession {
    /// Connection name (at most 255 octets of UTF-8).
    pub connection: String,
    /// The gateway's opaque ticket (never parsed here).
    pub ticket: Vec<u8>,
    /// SK_d of the suspended SA; the resumed SKEYSEED derives from it (RFC 5723 §5.1).
    pub sk_d: SecretBytes,
    /// The IKE SA transforms, reused by the resumed SA.
    pub suite: IkeSuite,
    /// Our identity in the suspended SA.
    pub id_i: Identity,
    /// The gateway's identity in the suspended SA.
    pub id_r: Identity,
    /// Unix seconds after which the ticket must not be presented (RFC 5723 §4.3.1); the
    /// relative TICKET_LT_OPAQUE lifetime made absolute at receipt.
    pub expires_at: u64,
    /// Unix seconds when the SA was suspended.
    pub suspended_at: u64,
    /// The gateway's IKE address and port.
    pub peer: SocketAddr,
    /// The local address the SA used, if it was bound to one.
    pub local: Option<IpAddr>,
}

impl fmt::Debug for SuspendedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SuspendedSession")
            .field("connection", &self.connection)
            .field("ticket_len", &self.ticket.len())
            .field("suite", &self.suite)
            .field("id_i", &self.id_i)
            .field("id_r", &self.id_r)
            .field("expires_at", &self.expires_at)
            .field("suspended_at", &self.suspended_at)
            .field("peer", &self.peer)
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// The structurally parsed fields, not yet validated: validation runs only after the MAC has
/// verified, so that random damage is reported as [`TicketError::Corrupt`].
struct Raw<'a> {
    connection: &'a [u8],
    ticket: &'a [u8],
    suite: &'a [u8],
    sk_d: &'a [u8],
    id_i: Identity,
    id_r: Identity,
    expires_at: u64,
    suspended_at: u64,
    peer: SocketAddr,
    local: Option<IpAddr>,
}

impl SuspendedSession {
    /// True once the ticket must no longer be presented (`unix_now >= expires_at`).
    pub fn is_expired(&self, unix_now: u64) -> bool {
        unix_now >= self.expires_at
    }

    /// Seconds of ticket lifetime left at `unix_now` (0 once expired).
    pub fn remaining_secs(&self, unix_now: u64) -> u64 {
        self.expires_at.saturating_sub(unix_now)
    }

    /// The session file (format in the module documentation), in a zeroizing buffer.
    ///
    /// Fields beyond the decoder's bounds (255 octets for the name and identities,
    /// [`MAX_SESSION_TICKET_LEN`] for the ticket) are written anyway and make
    /// [`SuspendedSession::decode`] fail: the session is then not resumable after a restart and
    /// the client falls back to a full exchange.
    pub fn encode(&self) -> SecretBytes {
        let cap = MAGIC.len()
            + 1
            + 2
            + self.connection.len()
            + 2
            + self.ticket.len()
            + SUITE_LEN
            + 2
            + self.sk_d.len()
            + identity_len(&self.id_i)
            + identity_len(&self.id_r)
            + 8
            + 8
            + 1
            + 16
            + 2
            + 4
            + 1
            + 16
            + FILE_MAC_LEN;
        let mut w = Writer::with_capacity(cap);
        w.bytes(MAGIC);
        w.u8(VERSION);
        w.vec16(self.connection.as_bytes());
        w.vec16(&self.ticket);
        put_suite(&mut w, &self.suite);
        w.vec16(self.sk_d.expose());
        put_identity(&mut w, &self.id_i);
        put_identity(&mut w, &self.id_r);
        w.u64(self.expires_at);
        w.u64(self.suspended_at);
        match self.peer {
            SocketAddr::V4(a) => {
                w.u8(4);
                w.bytes(&a.ip().octets());
                w.u16(a.port());
            }
            SocketAddr::V6(a) => {
                w.u8(6);
                w.bytes(&a.ip().octets());
                w.u16(a.port());
                w.u32(a.scope_id());
            }
        }
        match self.local {
            None => w.u8(0),
            Some(IpAddr::V4(a)) => {
                w.u8(4);
                w.bytes(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                w.u8(6);
                w.bytes(&a.octets());
            }
        }
        let mac = crate::ticket::codec::file_mac(MAC_LABEL, w.as_slice());
        w.bytes(&mac);
        debug_assert!(w.as_slice().len() <= cap);
        w.finish()
    }

    /// Load a session file written by [`SuspendedSession::encode`]. Oversized
    /// ([`TicketError::TooLong`]), truncated, trailing, corrupted ([`TicketError::Corrupt`]),
    /// wrong magic or version, and impossible values are errors; nothing panics.
    pub fn decode(b: &[u8]) -> Result<SuspendedSession, TicketError> {
        if b.len() > MAX_SESSION_FILE_LEN {
            return Err(TicketError::TooLong);
        }
        let mut r = Reader::new(b);
        if r.bytes(MAGIC.len())? != MAGIC || r.u8()? != VERSION {
            return Err(TicketError::BadVersion);
        }
        let raw = parse(&mut r)?;
        let body_len = b.len() - r.remaining();
        let mac = r.bytes(FILE_MAC_LEN)?;
        r.finish()?;
        verify_file_mac(MAC_LABEL, &b[..body_len], mac)?;
        raw.validate()
    }
}

fn parse<'a>(r: &mut Reader<'a>) -> Result<Raw<'a>, TicketError> {
    let connection = r.vec16(MAX_FIELD_LEN, "connection name too long")?;
    let ticket = r.vec16(MAX_SESSION_TICKET_LEN, "ticket too long")?;
    let suite = r.bytes(SUITE_LEN)?;
    let sk_d = r.vec16(MAX_FIELD_LEN, "SK_d too long")?;
    let id_i = get_identity(r)?;
    let id_r = get_identity(r)?;
    let expires_at = r.u64()?;
    let suspended_at = r.u64()?;
    let peer = match r.u8()? {
        4 => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(r.array::<4>()?), r.u16()?)),
        6 => {
            let ip = Ipv6Addr::from(r.array::<16>()?);
            let port = r.u16()?;
            SocketAddr::V6(SocketAddrV6::new(ip, port, 0, r.u32()?))
        }
        _ => return Err(TicketError::Invalid("unknown peer address family")),
    };
    let local = match r.u8()? {
        0 => None,
        4 => Some(IpAddr::V4(Ipv4Addr::from(r.array::<4>()?))),
        6 => Some(IpAddr::V6(Ipv6Addr::from(r.array::<16>()?))),
        _ => return Err(TicketError::Invalid("unknown local address family")),
    };
    Ok(Raw {
        connection,
        ticket,
        suite,
        sk_d,
        id_i,
        id_r,
        expires_at,
        suspended_at,
        peer,
        local,
    })
}

impl Raw<'_> {
    fn validate(self) -> Result<SuspendedSession, TicketError> {
        let connection = core::str::from_utf8(self.connection)
            .map_err(|_| TicketError::Invalid("connection name is not UTF-8"))?
            .to_owned();
        if self.ticket.is_empty() {
            return Err(TicketError::Invalid("empty ticket"));
        }
        let mut sr = Reader::new(self.suite);
        let suite = get_suite(&mut sr)?;
        sr.finish()?;
        if self.sk_d.len() != suite.prf.key_len() {
            return Err(TicketError::Invalid("SK_d length does not match the PRF"));
        }
        let sk_d = SecretBytes::from_slice(self.sk_d);
        Ok(SuspendedSession {
            connection,
            ticket: self.ticket.to_vec(),
            sk_d,
            suite,
            id_i: self.id_i,
            id_r: self.id_r,
            expires_at: self.expires_at,
            suspended_at: self.suspended_at,
            peer: self.peer,
            local: self.local,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg};
    use ike_wire::IdType;

    pub(super) fn sample() -> SuspendedSession {
        SuspendedSession {
            connection: "home".into(),
            ticket: vec![0xc3; 200],
            sk_d: SecretBytes::new(vec![0x7e; 32]),
            suite: IkeSuite {
                encr: EncrAlg::AesGcm16_256,
                prf: PrfAlg::HmacSha256,
                integ: None,
                dh: DhAlg::Curve25519,
            },
            id_i: Identity {
                id_type: IdType::Rfc822Addr,
                data: b"alice@example.com".to_vec(),
            },
            id_r: Identity {
                id_type: IdType::Fqdn,
                data: b"gw.example.com".to_vec(),
            },
            expires_at: 1_700_003_600,
            suspended_at: 1_700_000_100,
            peer: "192.0.2.1:500".parse().unwrap(),
            local: Some("198.51.100.7".parse().unwrap()),
        }
    }

    fn assert_same(a: &SuspendedSession, b: &SuspendedSession) {
        assert_eq!(a.connection, b.connection);
        assert_eq!(a.ticket, b.ticket);
        assert_eq!(a.sk_d.expose(), b.sk_d.expose());
        assert_eq!(a.suite, b.suite);
        assert_eq!(a.id_i, b.id_i);
        assert_eq!(a.id_r, b.id_r);
        assert_eq!(a.expires_at, b.expires_at);
        assert_eq!(a.suspended_at, b.suspended_at);
        assert_eq!(a.peer, b.peer);
        assert_eq!(a.local, b.local);
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let enc = s.encode();
        assert_eq!(&enc.expose()[..5], b"TSRS\x01");
        assert_same(&SuspendedSession::decode(enc.expose()).unwrap(), &s);

        let mut v6 = sample();
        v6.peer = "[fe80::1%3]:4500".parse().unwrap();
        v6.local = None;
        v6.suite = IkeSuite {
            encr: EncrAlg::AesCbc128,
            prf: PrfAlg::HmacSha512,
            integ: Some(IntegAlg::HmacSha512_256),
            dh: DhAlg::Ecp256,
        };
        v6.sk_d = SecretBytes::new(vec![1; 64]);
        let back = SuspendedSession::decode(v6.encode().expose()).unwrap();
        assert_same(&back, &v6);
        if let SocketAddr::V6(a) = back.peer {
            assert_eq!(a.scope_id(), 3);
        }

        let mut l6 = sample();
        l6.local = Some("2001:db8::2".parse().unwrap());
        assert_same(
            &SuspendedSession::decode(l6.encode().expose()).unwrap(),
            &l6,
        );
    }

    #[test]
    fn expiry() {
        let s = sample();
        assert!(!s.is_expired(s.expires_at - 1));
        assert!(s.is_expired(s.expires_at));
        assert_eq!(s.remaining_secs(s.expires_at - 5), 5);
        assert_eq!(s.remaining_secs(s.expires_at + 5), 0);
    }

    #[test]
    fn semantic_errors_after_mac() {
        // Written by a buggy encoder (valid MAC), rejected on content.
        let mut s = sample();
        s.sk_d = SecretBytes::new(vec![0; 48]);
        assert!(matches!(
            SuspendedSession::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        let mut s = sample();
        s.ticket.clear();
        assert!(matches!(
            SuspendedSession::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        let mut s = sample();
        s.ticket = vec![1; MAX_SESSION_TICKET_LEN + 1];
        assert!(matches!(
            SuspendedSession::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        let mut s = sample();
        s.ticket = vec![1; MAX_SESSION_TICKET_LEN];
        assert!(SuspendedSession::decode(s.encode().expose()).is_ok());
    }

    #[test]
    fn damage_is_typed() {
        let enc = sample().encode();
        let good = enc.expose();
        let mut b = good.to_vec();
        b[good.len() - 1] ^= 0x80;
        assert_eq!(
            SuspendedSession::decode(&b).err(),
            Some(TicketError::Corrupt)
        );
        // A flipped key bit parses but fails the MAC.
        let key_at = good.windows(4).position(|w| w == [0x7e; 4]).unwrap();
        let mut b = good.to_vec();
        b[key_at] ^= 1;
        assert_eq!(
            SuspendedSession::decode(&b).err(),
            Some(TicketError::Corrupt)
        );
        // Suite damage is caught by the MAC before the algorithm check.
        let suite_at = 5 + 2 + 4 + 2 + 200;
        let mut b = good.to_vec();
        b[suite_at + 1] ^= 0x40;
        assert_eq!(
            SuspendedSession::decode(&b).err(),
            Some(TicketError::Corrupt)
        );
        let mut b = good.to_vec();
        b.push(0);
        assert_eq!(
            SuspendedSession::decode(&b).err(),
            Some(TicketError::TrailingBytes)
        );
        assert_eq!(
            SuspendedSession::decode(&good[..good.len() - 1]).err(),
            Some(TicketError::Truncated)
        );
        assert_eq!(
            SuspendedSession::decode(&vec![0; MAX_SESSION_FILE_LEN + 1]).err(),
            Some(TicketError::TooLong)
        );
        let mut b = good.to_vec();
        b[4] = 2;
        assert_eq!(
            SuspendedSession::decode(&b).err(),
            Some(TicketError::BadVersion)
        );
    }

    #[test]
    fn debug_redacts() {
        let s = sample();
        let d = format!("{s:?}");
        assert!(d.contains("home") && d.contains("ticket_len: 200"), "{d}");
        assert!(!d.contains("195") && !d.contains("126"), "{d}"); // 0xc3, 0x7e
        assert!(!d.contains("sk_d"), "{d}");
    }
}
