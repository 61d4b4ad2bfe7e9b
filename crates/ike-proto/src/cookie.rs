//! Stateless cookies (RFC 7296 §2.6) with a rotating secret.
//!
//! `cookie = version(1) | HMAC-SHA-256(secret_version, Ni | IPi | SPIi)[..16]`. The secret
//! rotates every `lifetime`; the previous one stays valid for one more period so that a client
//! challenged just before a rotation still gets in.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ike_crypto::{PrfAlg, SecretBytes};
use rand_core::RngCore;

const COOKIE_MAC_LEN: usize = 16;

/// The endpoint's cookie secrets.
pub(crate) struct CookieJar {
    current: (u8, SecretBytes),
    previous: Option<(u8, SecretBytes)>,
    rotated_at: Instant,
    lifetime: Duration,
}

fn random_secret(rng: &mut dyn RngCore) -> SecretBytes {
    let mut s = vec![0u8; 32];
    rng.fill_bytes(&mut s);
    SecretBytes::new(s)
}

fn mac(secret: &SecretBytes, version: u8, ni: &[u8], ip: IpAddr, spi_i: &[u8; 8]) -> Vec<u8> {
    let ip = match ip {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    let tag = PrfAlg::HmacSha256.prf(secret.expose(), &[ni, &ip, spi_i]);
    let mut c = Vec::with_capacity(1 + COOKIE_MAC_LEN);
    c.push(version);
    c.extend_from_slice(&tag.expose()[..COOKIE_MAC_LEN]);
    c
}

impl CookieJar {
    /// A jar with a fresh secret.
    pub(crate) fn new(now: Instant, lifetime: Duration, rng: &mut dyn RngCore) -> CookieJar {
        CookieJar {
            current: (0, random_secret(rng)),
            previous: None,
            rotated_at: now,
            lifetime,
        }
    }

    /// Rotate the secret when its lifetime is over.
    pub(crate) fn maybe_rotate(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if now < self.rotated_at + self.lifetime {
            return;
        }
        let next = (self.current.0.wrapping_add(1), random_secret(rng));
        self.previous = Some(std::mem::replace(&mut self.current, next));
        self.rotated_at = now;
    }

    /// When the next rotation is due.
    pub(crate) fn next_rotation(&self) -> Instant {
        self.rotated_at + self.lifetime
    }

    /// The cookie for this initiator.
    pub(crate) fn make(&self, ni: &[u8], ip: IpAddr, spi_i: &[u8; 8]) -> Vec<u8> {
        mac(&self.current.1, self.current.0, ni, ip, spi_i)
    }

    /// Is `cookie` one we issued (current or previous secret)? Constant-time comparison.
    pub(crate) fn verify(&self, cookie: &[u8], ni: &[u8], ip: IpAddr, spi_i: &[u8; 8]) -> bool {
        let Some(&version) = cookie.first() else {
            return false;
        };
        let secret = if version == self.current.0 {
            &self.current.1
        } else {
            match &self.previous {
                Some((v, s)) if *v == version => s,
                _ => return false,
            }
        };
        let want = mac(secret, version, ni, ip, spi_i);
        want.len() == cookie.len() && subtle::ConstantTimeEq::ct_eq(&want[..], cookie).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn cookies_survive_one_rotation_only() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        let t0 = Instant::now();
        let life = Duration::from_secs(60);
        let mut jar = CookieJar::new(t0, life, &mut rng);
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let c = jar.make(b"nonce", ip, &[1; 8]);
        assert!(jar.verify(&c, b"nonce", ip, &[1; 8]));
        assert!(!jar.verify(&c, b"nonce", ip, &[2; 8]));
        assert!(!jar.verify(&c, b"other", ip, &[1; 8]));
        assert!(!jar.verify(&c, b"nonce", "192.0.2.10".parse().unwrap(), &[1; 8]));
        jar.maybe_rotate(t0 + life, &mut rng);
        assert!(
            jar.verify(&c, b"nonce", ip, &[1; 8]),
            "previous secret still accepted"
        );
        jar.maybe_rotate(t0 + life * 2, &mut rng);
        assert!(
            !jar.verify(&c, b"nonce", ip, &[1; 8]),
            "two rotations later it is gone"
        );
        assert!(!jar.verify(&[], b"nonce", ip, &[1; 8]));
    }
}
