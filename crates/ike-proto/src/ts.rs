//! Traffic selectors: building them from configuration and narrowing (RFC 7296 §2.9).

use std::net::IpAddr;

use ike_wire::{TrafficSelector, TsPayload, TsType};

use crate::config::TsConfig;

/// Most selectors we put in one TS payload.
const MAX_SELECTORS: usize = 64;

/// Resolve configured selectors (`dynamic` = empty list = the host's own address).
pub(crate) fn resolve(cfg: &[TsConfig], dynamic: IpAddr) -> Vec<TsConfig> {
    if cfg.is_empty() {
        vec![TsConfig::host(dynamic)]
    } else {
        cfg.to_vec()
    }
}

/// Convert to wire selectors.
pub(crate) fn to_payload(ts: &[TsConfig]) -> TsPayload {
    TsPayload {
        selectors: ts
            .iter()
            .map(|t| TrafficSelector {
                ts_type: if t.start.is_ipv4() {
                    TsType::Ipv4AddrRange
                } else {
                    TsType::Ipv6AddrRange
                },
                ip_protocol: t.protocol,
                start_port: t.start_port,
                end_port: t.end_port,
                start_addr: t.start,
                end_addr: t.end,
            })
            .collect(),
    }
}

/// Convert from wire selectors (all of them; the codec already validated families).
pub(crate) fn from_payload(p: &TsPayload) -> Vec<TsConfig> {
    p.selectors
        .iter()
        .map(|s| TsConfig {
            start: s.start_addr,
            end: s.end_addr,
            protocol: s.ip_protocol,
            start_port: s.start_port,
            end_port: s.end_port,
        })
        .collect()
}

fn addr_key(a: IpAddr) -> (u8, u128) {
    match a {
        IpAddr::V4(v) => (4, u128::from(u32::from(v))),
        IpAddr::V6(v) => (6, u128::from(v)),
    }
}

/// The intersection of two selectors, if not empty.
pub(crate) fn intersect(a: &TsConfig, b: &TsConfig) -> Option<TsConfig> {
    let (fa, sa) = addr_key(a.start);
    let (fb, sb) = addr_key(b.start);
    if fa != fb {
        return None;
    }
    let (_, ea) = addr_key(a.end);
    let (_, eb) = addr_key(b.end);
    let (start, end) = (sa.max(sb), ea.min(eb));
    if start > end {
        return None;
    }
    let protocol = match (a.protocol, b.protocol) {
        (0, p) | (p, 0) => p,
        (p, q) if p == q => p,
        _ => return None,
    };
    let (sp, ep) = (a.start_port.max(b.start_port), a.end_port.min(b.end_port));
    if sp > ep {
        return None;
    }
    let conv = |v: u128| -> IpAddr {
        if fa == 4 {
            IpAddr::from((v as u32).to_be_bytes())
        } else {
            IpAddr::from(v.to_be_bytes())
        }
    };
    Some(TsConfig {
        start: conv(start),
        end: conv(end),
        protocol,
        start_port: sp,
        end_port: ep,
    })
}

/// Narrow the peer's proposed selectors to what our policy allows (responder side).
/// Returns an empty list when nothing overlaps (TS_UNACCEPTABLE).
pub(crate) fn narrow(proposed: &[TsConfig], allowed: &[TsConfig]) -> Vec<TsConfig> {
    let mut out = Vec::new();
    for p in proposed {
        for a in allowed {
            // A hostile peer can propose thousands of selectors; what we send back must stay a
            // small, encodable TS payload (the count is one octet).
            if out.len() >= MAX_SELECTORS {
                return out;
            }
            if let Some(i) = intersect(p, a) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
    }
    out
}

/// Is every selector in `got` inside some selector of `offered` (initiator check of a response)?
pub(crate) fn is_subset(got: &[TsConfig], offered: &[TsConfig]) -> bool {
    !got.is_empty()
        && got
            .iter()
            .all(|g| offered.iter().any(|o| intersect(g, o).as_ref() == Some(g)))
}

/// Display form: `10.0.0.0..10.0.0.255` or `10.0.0.1/32`-like host, with protocol/port when set.
pub(crate) fn display(t: &TsConfig) -> String {
    let addr = if t.start == t.end {
        format!("{}", t.start)
    } else {
        format!("{}..{}", t.start, t.end)
    };
    if t.protocol == 0 && t.start_port == 0 && t.end_port == 65535 {
        addr
    } else {
        format!("{addr}[{}/{}-{}]", t.protocol, t.start_port, t.end_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> TsConfig {
        TsConfig::parse(s).unwrap().unwrap()
    }

    #[test]
    fn narrowing_intersects_ranges() {
        let n = narrow(
            &[ts("10.0.0.0/8")],
            &[ts("10.1.0.0/16"), ts("192.168.0.0/16")],
        );
        assert_eq!(n, vec![ts("10.1.0.0/16")]);
        assert!(narrow(&[ts("10.0.0.0/8")], &[ts("192.168.0.0/16")]).is_empty());
        assert!(narrow(&[ts("10.0.0.0/8")], &[ts("fd00::/8")]).is_empty());
    }

    #[test]
    fn narrowing_output_is_bounded() {
        let many: Vec<TsConfig> = (0..1000u32)
            .map(|i| TsConfig::host(std::net::IpAddr::from((0x0a00_0000 + i).to_be_bytes())))
            .collect();
        assert_eq!(narrow(&many, &[ts("10.0.0.0/8")]).len(), MAX_SELECTORS);
    }

    #[test]
    fn subset_check() {
        assert!(is_subset(&[ts("10.1.2.0/24")], &[ts("10.0.0.0/8")]));
        assert!(!is_subset(&[ts("10.0.0.0/7")], &[ts("10.0.0.0/8")]));
        assert!(!is_subset(&[], &[ts("10.0.0.0/8")]));
    }

    #[test]
    fn ports_and_protocols_narrow() {
        let mut a = ts("10.0.0.1");
        a.protocol = 6;
        a.start_port = 100;
        a.end_port = 200;
        let mut b = ts("10.0.0.0/24");
        b.start_port = 150;
        let i = intersect(&a, &b).unwrap();
        assert_eq!((i.protocol, i.start_port, i.end_port), (6, 150, 200));
        b.protocol = 17;
        assert_eq!(intersect(&a, &b), None);
    }
}
