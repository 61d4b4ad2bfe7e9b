//! [`ResumptionState`]: what a ticket carries (RFC 5723 §6.1, §5 table; conformance §D.3).
//!
//! Encoding (version 1, big-endian, private to the gateway):
//!
//! ```text
//! version(1)=1 | connection: len(2) name | IDi: type(1) len(2) data | IDr: type(1) len(2) data |
//! auth_method(1) | policy_hash(16) | suite: encr(2) key_bits(2) prf(2) integ(2) dh(2) |
//! SK_d: len(2) key | issued_at(8) | expires_at(8) | ticket_id(16) | old SPIi(8) | old SPIr(8)
//! ```
//!
//! Never stored (RFC 5723 §5): NAT state, new SPIs, message IDs, window size, Child SAs.

use core::fmt;

use ike_crypto::{IkeSuite, SecretBytes};

use super::TicketError;
use super::codec::{
    MAX_FIELD_LEN, Reader, SUITE_LEN, Writer, get_identity, get_sk_d, get_suite, identity_len,
    put_identity, put_suite,
};
use crate::config::Identity;

const STATE_VERSION: u8 = 1;

/// The IKE SA state a ticket restores on the gateway.
///
/// `Debug` redacts SK_d, the ticket id and the policy hash (a hash over, among others, a MAC
/// keyed by the PSK: printed, it would allow an offline guess at a weak PSK).
pub struct ResumptionState {
    /// Name of the connection the SA belonged to (at most 255 octets of UTF-8).
    pub connection: String,
    /// The initiator's identity as in the original IKE_AUTH (the whole ID payload body).
    pub id_i: Identity,
    /// The responder's identity as in the original IKE_AUTH.
    pub id_r: Identity,
    /// How the client authenticated in the original IKE_AUTH (IANA Authentication Method, e.g.
    /// 2 shared key, 14 digital signature).
    pub auth_method: u8,
    /// Fingerprint of the connection's authentication settings at issue time; a ticket resumes
    /// only while they are unchanged.
    pub policy_hash: [u8; 16],
    /// The IKE SA transforms, reused without negotiation (RFC 5723 §5).
    pub suite: IkeSuite,
    /// SK_d of the original SA (RFC 5723 §5.1: the resumed SKEYSEED is derived from it).
    pub sk_d: SecretBytes,
    /// Issue time, Unix seconds.
    pub issued_at: u64,
    /// Absolute expiry, Unix seconds (RFC 5723 §6.1: protected, matches TICKET_LT_OPAQUE).
    pub expires_at: u64,
    /// Random id, the key of the used-ticket log.
    pub ticket_id: [u8; 16],
    /// SPIi of the original SA, to find and silently delete it after a resume (§4.3.4); never
    /// reused for the new SA (§5 Note 4).
    pub old_spi_i: [u8; 8],
    /// SPIr of the original SA.
    pub old_spi_r: [u8; 8],
}

impl fmt::Debug for ResumptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumptionState")
            .field("connection", &self.connection)
            .field("id_i", &self.id_i)
            .field("id_r", &self.id_r)
            .field("auth_method", &self.auth_method)
            .field("suite", &self.suite)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl ResumptionState {
    /// The ticket plaintext (see the module documentation), in a zeroizing buffer.
    ///
    /// Fields longer than the decoder accepts (255 octets for the name and each identity) are
    /// written anyway and make [`ResumptionState::decode`] fail, i.e. the ticket is refused and
    /// the client falls back to a full exchange.
    pub fn encode(&self) -> SecretBytes {
        let cap = 1
            + 2
            + self.connection.len()
            + identity_len(&self.id_i)
            + identity_len(&self.id_r)
            + 1
            + 16
            + SUITE_LEN
            + 2
            + self.sk_d.len()
            + 8
            + 8
            + 16
            + 8
            + 8;
        let mut w = Writer::with_capacity(cap);
        w.u8(STATE_VERSION);
        w.vec16(self.connection.as_bytes());
        put_identity(&mut w, &self.id_i);
        put_identity(&mut w, &self.id_r);
        w.u8(self.auth_method);
        w.bytes(&self.policy_hash);
        put_suite(&mut w, &self.suite);
        w.vec16(self.sk_d.expose());
        w.u64(self.issued_at);
        w.u64(self.expires_at);
        w.bytes(&self.ticket_id);
        w.bytes(&self.old_spi_i);
        w.bytes(&self.old_spi_r);
        debug_assert_eq!(w.as_slice().len(), cap);
        w.finish()
    }

    /// Decode [`ResumptionState::encode`]'s output. Unknown version, truncation, trailing
    /// bytes, over-long fields, unknown algorithms, an SK_d whose length is not the PRF's key
    /// length and an expiry before the issue time are errors.
    pub fn decode(b: &[u8]) -> Result<ResumptionState, TicketError> {
        let mut r = Reader::new(b);
        if r.u8()? != STATE_VERSION {
            return Err(TicketError::BadVersion);
        }
        let connection = r.vec16(MAX_FIELD_LEN, "connection name too long")?;
        let connection = core::str::from_utf8(connection)
            .map_err(|_| TicketError::Invalid("connection name is not UTF-8"))?
            .to_owned();
        let id_i = get_identity(&mut r)?;
        let id_r = get_identity(&mut r)?;
        let auth_method = r.u8()?;
        let policy_hash = r.array()?;
        let suite = get_suite(&mut r)?;
        let sk_d = get_sk_d(&mut r, suite.prf)?;
        let issued_at = r.u64()?;
        let expires_at = r.u64()?;
        let ticket_id = r.array()?;
        let old_spi_i = r.array()?;
        let old_spi_r = r.array()?;
        r.finish()?;
        if expires_at < issued_at {
            return Err(TicketError::Invalid("ticket expires before it was issued"));
        }
        Ok(ResumptionState {
            connection,
            id_i,
            id_r,
            auth_method,
            policy_hash,
            suite,
            sk_d,
            issued_at,
            expires_at,
            ticket_id,
            old_spi_i,
            old_spi_r,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg};
    use ike_wire::IdType;

    fn sample() -> ResumptionState {
        ResumptionState {
            connection: "roadwarrior".into(),
            id_i: Identity {
                id_type: IdType::Rfc822Addr,
                data: b"alice@example.com".to_vec(),
            },
            id_r: Identity {
                id_type: IdType::Fqdn,
                data: b"gw.example.com".to_vec(),
            },
            auth_method: 2,
            policy_hash: [0x5a; 16],
            suite: IkeSuite {
                encr: EncrAlg::AesGcm16_256,
                prf: PrfAlg::HmacSha256,
                integ: None,
                dh: DhAlg::Curve25519,
            },
            sk_d: SecretBytes::new((0u8..32).collect()),
            issued_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            ticket_id: [0x11; 16],
            old_spi_i: [0x22; 8],
            old_spi_r: [0x33; 8],
        }
    }

    fn assert_same(a: &ResumptionState, b: &ResumptionState) {
        assert_eq!(a.connection, b.connection);
        assert_eq!(a.id_i, b.id_i);
        assert_eq!(a.id_r, b.id_r);
        assert_eq!(a.auth_method, b.auth_method);
        assert_eq!(a.policy_hash, b.policy_hash);
        assert_eq!(a.suite, b.suite);
        assert_eq!(a.sk_d.expose(), b.sk_d.expose());
        assert_eq!(a.issued_at, b.issued_at);
        assert_eq!(a.expires_at, b.expires_at);
        assert_eq!(a.ticket_id, b.ticket_id);
        assert_eq!(a.old_spi_i, b.old_spi_i);
        assert_eq!(a.old_spi_r, b.old_spi_r);
    }

    #[test]
    fn round_trip_exact_bytes() {
        let s = sample();
        let enc = s.encode();
        // Pin the layout: a format change must be deliberate (and bump the version).
        let mut expect = vec![1, 0, 11];
        expect.extend_from_slice(b"roadwarrior");
        expect.extend_from_slice(&[3, 0, 17]);
        expect.extend_from_slice(b"alice@example.com");
        expect.extend_from_slice(&[2, 0, 14]);
        expect.extend_from_slice(b"gw.example.com");
        expect.push(2);
        expect.extend_from_slice(&[0x5a; 16]);
        expect.extend_from_slice(&[0, 20, 1, 0, 0, 5, 0, 0, 0, 31]);
        expect.extend_from_slice(&[0, 32]);
        expect.extend((0u8..32).collect::<Vec<_>>());
        expect.extend_from_slice(&1_700_000_000u64.to_be_bytes());
        expect.extend_from_slice(&1_700_003_600u64.to_be_bytes());
        expect.extend_from_slice(&[0x11; 16]);
        expect.extend_from_slice(&[0x22; 8]);
        expect.extend_from_slice(&[0x33; 8]);
        assert_eq!(enc.expose(), expect.as_slice());
        assert_same(&ResumptionState::decode(enc.expose()).unwrap(), &s);
    }

    #[test]
    fn cbc_suite_round_trip() {
        let mut s = sample();
        s.suite = IkeSuite {
            encr: EncrAlg::AesCbc256,
            prf: PrfAlg::HmacSha384,
            integ: Some(IntegAlg::HmacSha384_192),
            dh: DhAlg::Ecp384,
        };
        s.sk_d = SecretBytes::new(vec![9; 48]);
        s.id_i = Identity {
            id_type: IdType::Null,
            data: Vec::new(),
        };
        assert_same(&ResumptionState::decode(s.encode().expose()).unwrap(), &s);
    }

    #[test]
    fn rejects_malformed() {
        let enc = sample().encode();
        let good = enc.expose();
        for n in 0..good.len() {
            assert_eq!(
                ResumptionState::decode(&good[..n]).err(),
                Some(TicketError::Truncated),
                "truncated to {n}"
            );
        }
        let mut b = good.to_vec();
        b.push(0);
        assert_eq!(
            ResumptionState::decode(&b).err(),
            Some(TicketError::TrailingBytes)
        );
        let mut b = good.to_vec();
        b[0] = 2;
        assert_eq!(
            ResumptionState::decode(&b).err(),
            Some(TicketError::BadVersion)
        );

        // SK_d length must be the PRF's key length.
        let mut s = sample();
        s.sk_d = SecretBytes::new(vec![1; 31]);
        assert!(matches!(
            ResumptionState::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        // Bounded name and identities.
        let mut s = sample();
        s.connection = "x".repeat(256);
        assert!(matches!(
            ResumptionState::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        s.connection = "x".repeat(255);
        assert!(ResumptionState::decode(s.encode().expose()).is_ok());
        s.id_r.data = vec![b'a'; 256];
        assert!(matches!(
            ResumptionState::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
        // Non-UTF-8 name.
        let mut b = good.to_vec();
        b[3] = 0xff;
        assert!(matches!(
            ResumptionState::decode(&b),
            Err(TicketError::Invalid(_))
        ));
        // Expiry before issue.
        let mut s = sample();
        s.expires_at = s.issued_at - 1;
        assert!(matches!(
            ResumptionState::decode(s.encode().expose()),
            Err(TicketError::Invalid(_))
        ));
    }

    #[test]
    fn debug_redacts() {
        let s = sample();
        let d = format!("{s:?}");
        assert!(d.contains("roadwarrior"), "{d}");
        assert!(
            !d.contains("sk_d") && !d.contains("ticket_id") && !d.contains("policy_hash"),
            "{d}"
        );
        assert!(!d.contains("90, 90") && !d.contains("17, 17"), "{d}");
    }
}
