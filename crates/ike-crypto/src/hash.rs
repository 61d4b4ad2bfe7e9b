//! Plain hashes IKEv2 needs outside the PRF: SHA-1 for NAT detection (RFC 7296 §2.23) and for
//! CERTREQ certification-authority digests (§3.7). Neither use relies on collision resistance
//! for security; both are fixed by the RFC.

use aws_lc_rs::digest;

/// SHA-1 over the concatenation of `parts`.
pub fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 20];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// NAT_DETECTION_*_IP notify data: SHA-1(SPIi | SPIr | IP | port), IP as 4 or 16 octets and the
/// port in network order (RFC 7296 §2.23, encoding per RFC 3947 §3.2).
pub fn nat_detection_hash(
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    addr: std::net::SocketAddr,
) -> [u8; 20] {
    let port = addr.port().to_be_bytes();
    match addr.ip() {
        std::net::IpAddr::V4(v4) => sha1(&[spi_i, spi_r, &v4.octets(), &port]),
        std::net::IpAddr::V6(v6) => sha1(&[spi_i, spi_r, &v6.octets(), &port]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_fips180_abc() {
        // FIPS 180-2 Appendix A.1: SHA-1("abc").
        assert_eq!(
            sha1(&[b"a", b"bc"]),
            [
                0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
                0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d
            ]
        );
    }

    #[test]
    fn nat_hash_covers_every_input() {
        let a: std::net::SocketAddr = "192.0.2.1:500".parse().unwrap();
        let b: std::net::SocketAddr = "192.0.2.1:4500".parse().unwrap();
        let h = nat_detection_hash(&[1; 8], &[0; 8], a);
        assert_ne!(h, nat_detection_hash(&[1; 8], &[0; 8], b));
        assert_ne!(h, nat_detection_hash(&[2; 8], &[0; 8], a));
        assert_eq!(h, sha1(&[&[1; 8], &[0; 8], &[192, 0, 2, 1], &[0x01, 0xf4]]));
    }
}
