//! Traffic Selector payloads TSi / TSr (RFC 7296 §3.13).

use crate::codepoints::TsType;
use crate::error::WireError;
use crate::reader::{Reader, patch_u16};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Selector length for TS_IPV4_ADDR_RANGE (8 + 2 × 4).
const TS_V4_LEN: usize = 16;
/// Selector length for TS_IPV6_ADDR_RANGE (8 + 2 × 16).
const TS_V6_LEN: usize = 40;

/// Traffic Selector payload body: `Number of TSs(1) | RESERVED(3) | selectors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsPayload {
    /// Selectors in wire order (at most 255).
    pub selectors: Vec<TrafficSelector>,
}

/// One traffic selector (RFC 7296 §3.13.1). Only the two address-range types exist here; any
/// other type is rejected because its length and meaning are unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSelector {
    /// TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE; must match the address family.
    pub ts_type: TsType,
    /// IP protocol (0 = any).
    pub ip_protocol: u8,
    /// First port (0 for "any").
    pub start_port: u16,
    /// Last port (65535 for "any").
    pub end_port: u16,
    /// First address.
    pub start_addr: IpAddr,
    /// Last address.
    pub end_addr: IpAddr,
}

impl TrafficSelector {
    /// A selector for the whole of an address range, any protocol and port.
    ///
    /// Returns `None` when the two addresses are of different families.
    pub fn any_port(start_addr: IpAddr, end_addr: IpAddr) -> Option<TrafficSelector> {
        let ts_type = match (start_addr, end_addr) {
            (IpAddr::V4(_), IpAddr::V4(_)) => TsType::Ipv4AddrRange,
            (IpAddr::V6(_), IpAddr::V6(_)) => TsType::Ipv6AddrRange,
            _ => return None,
        };
        Some(TrafficSelector {
            ts_type,
            ip_protocol: 0,
            start_port: 0,
            end_port: 0xffff,
            start_addr,
            end_addr,
        })
    }

    fn parse(r: &mut Reader<'_>) -> Result<TrafficSelector, WireError> {
        let ts_type = TsType::from(r.u8()?);
        let ip_protocol = r.u8()?;
        let len = usize::from(r.u16()?);
        let expected = match ts_type {
            TsType::Ipv4AddrRange => TS_V4_LEN,
            TsType::Ipv6AddrRange => TS_V6_LEN,
            _ => return Err(WireError::Malformed("unknown traffic selector type")),
        };
        if len != expected {
            return Err(WireError::LengthMismatch);
        }
        let start_port = r.u16()?;
        let end_port = r.u16()?;
        let (start_addr, end_addr) = if ts_type == TsType::Ipv4AddrRange {
            (
                IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
            )
        } else {
            (
                IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
            )
        };
        Ok(TrafficSelector {
            ts_type,
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        })
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        out.extend_from_slice(&[self.ts_type.into(), self.ip_protocol, 0, 0]);
        out.extend_from_slice(&self.start_port.to_be_bytes());
        out.extend_from_slice(&self.end_port.to_be_bytes());
        match (self.ts_type, self.start_addr, self.end_addr) {
            (TsType::Ipv4AddrRange, IpAddr::V4(a), IpAddr::V4(b)) => {
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            (TsType::Ipv6AddrRange, IpAddr::V6(a), IpAddr::V6(b)) => {
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            _ => {
                out.truncate(start);
                return Err(WireError::Malformed(
                    "traffic selector type and address family differ",
                ));
            }
        }
        let len = out.len() - start;
        patch_u16(out, start + 2, len)
    }
}

impl TsPayload {
    /// Parse the TS payload body.
    pub fn parse_body(body: &[u8]) -> Result<TsPayload, WireError> {
        let mut r = Reader::new(body);
        let count = r.u8()?;
        let _reserved = r.take(3)?;
        let mut selectors = Vec::new();
        for _ in 0..count {
            if r.is_empty() {
                return Err(WireError::CountMismatch);
            }
            selectors.push(TrafficSelector::parse(&mut r)?);
        }
        r.finish()?;
        Ok(TsPayload { selectors })
    }

    /// Append the TS payload body.
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u8::try_from(self.selectors.len()).map_err(|_| WireError::TooLong)?;
        out.extend_from_slice(&[count, 0, 0, 0]);
        for ts in &self.selectors {
            ts.emit(out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::payload::test_util::check_payload;
    use hex_literal::hex;

    const FULL: [u8; 64] = hex!(
        "00 00 0040 02 000000"
        "07 00 0010 0000 ffff c0000200 c00002ff"
        "08 11 0028 01f4 01f4 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff"
    );

    fn expected() -> TsPayload {
        TsPayload {
            selectors: vec![
                TrafficSelector::any_port(
                    "192.0.2.0".parse().unwrap(),
                    "192.0.2.255".parse().unwrap(),
                )
                .unwrap(),
                TrafficSelector {
                    ts_type: TsType::Ipv6AddrRange,
                    ip_protocol: 17,
                    start_port: 500,
                    end_port: 500,
                    start_addr: "2001:db8::".parse().unwrap(),
                    end_addr: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(),
                },
            ],
        }
    }

    #[test]
    fn v4_and_v6_selectors() {
        check_payload(&FULL, Payload::TsI(expected()));
        let mut r = FULL;
        r[0] = 0;
        check_payload(&r, Payload::TsR(expected()));
        for n in 0..FULL.len() - 4 {
            assert!(
                TsPayload::parse_body(&FULL[4..4 + n]).is_err(),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn selector_errors() {
        let mut b = FULL[4..].to_vec();
        b[0] = 3; // count 3, two present
        assert_eq!(TsPayload::parse_body(&b), Err(WireError::CountMismatch));
        b[0] = 1; // count 1, two present
        assert_eq!(TsPayload::parse_body(&b), Err(WireError::TrailingData));
        let mut b = FULL[4..].to_vec();
        b[4] = 9; // unknown TS type
        assert!(matches!(
            TsPayload::parse_body(&b),
            Err(WireError::Malformed(_))
        ));
        let mut b = FULL[4..].to_vec();
        b[7] = 0x11; // v4 selector with length 17
        assert_eq!(TsPayload::parse_body(&b), Err(WireError::LengthMismatch));
        // Family mismatch on emit.
        let mut ts = expected();
        ts.selectors[0].ts_type = TsType::Ipv6AddrRange;
        assert!(ts.emit_body(&mut Vec::new()).is_err());
        assert!(
            TrafficSelector::any_port("192.0.2.1".parse().unwrap(), "::1".parse().unwrap())
                .is_none()
        );
    }
}
