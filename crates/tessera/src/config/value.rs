//! Small value types of the TOML configuration that parse and validate while deserializing,
//! so that the TOML deserializer attaches the offending value's span (and thus a line number)
//! to every error.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use ike_proto::{EspProposal, Identity, IkeProposal, TsConfig};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use zeroize::Zeroizing;

use super::proposal;

/// Parse a duration: `"0"`, `"30s"`, `"250ms"`, `"5m"`, `"1h30m"`, `"2d"`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "bad duration {s:?} (expected e.g. \"30s\", \"5m\", \"1h\")"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("number too large in duration {s:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" | "sec" => Duration::from_secs(n),
            "m" | "min" => n
                .checked_mul(60)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "h" => n
                .checked_mul(3600)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "d" => n
                .checked_mul(86_400)
                .map(Duration::from_secs)
                .ok_or("too large")?,
            "" => {
                return Err(format!(
                    "missing unit in duration {s:?} (use ms, s, m, h or d)"
                ));
            }
            u => {
                return Err(format!(
                    "unknown unit {u:?} in duration {s:?} (use ms, s, m, h or d)"
                ));
            }
        };
        total = total
            .checked_add(d)
            .ok_or_else(|| format!("duration {s:?} too large"))?;
    }
    Ok(total)
}

/// A duration written as a string (`"30s"`) or an integer number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"5m\", \"1h\" or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .map(|s| Dur(Duration::from_secs(s)))
                    .map_err(|_| E::custom("duration must not be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur(Duration::from_secs(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Implements `Deserialize` from a string through a parse function returning `Result<T, String>`.
macro_rules! from_str_value {
    ($(#[$m:meta])* $name:ident($inner:ty), $parse:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name(pub $inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let parse: fn(&str) -> Result<$inner, String> = $parse;
                parse(&s).map($name).map_err(de::Error::custom)
            }
        }
    };
}

from_str_value!(
    /// An IKE proposal in strongSwan syntax.
    IkeProp(Vec<IkeProposal>),
    proposal::parse_ike
);
from_str_value!(
    /// An ESP proposal in strongSwan syntax.
    EspProp(Vec<EspProposal>),
    proposal::parse_esp
);
from_str_value!(
    /// An IKE identity.
    Id(Identity),
    |s| Identity::parse(s).map_err(|e| e.to_string())
);
from_str_value!(
    /// A traffic selector (`None` = dynamic).
    Ts(Option<TsConfig>),
    |s| TsConfig::parse(s).map_err(|e| e.to_string())
);

/// A pre-shared key as written in the file: `"0x…"` is hex, anything else the UTF-8 bytes.
/// Zeroized on drop, never printed.
pub(crate) struct Secret(pub Zeroizing<Vec<u8>>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Decode a secret string (see [`Secret`]).
pub(crate) fn decode_secret(s: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || h.len() % 2 != 0 {
            return Err("hex secret must have an even, non-zero number of digits".into());
        }
        let mut out = Zeroizing::new(Vec::with_capacity(h.len() / 2));
        for pair in h.as_bytes().chunks(2) {
            let digit = |c: u8| (c as char).to_digit(16);
            match (digit(pair[0]), digit(pair[1])) {
                (Some(a), Some(b)) => out.push((a * 16 + b) as u8),
                // Do not echo the secret in the error.
                _ => return Err("hex secret contains a non-hex character".into()),
            }
        }
        return Ok(out);
    }
    if s.is_empty() {
        return Err("secret is empty".into());
    }
    Ok(Zeroizing::new(s.as_bytes().to_vec()))
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A hand-written visitor: serde's default type errors quote the value, which here
        // would put a (mistyped) secret into an error message and a log.
        struct V;
        impl Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
                decode_secret(v).map(Secret).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom("secret must be a quoted string"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom("secret must be a quoted string"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom("secret must be a quoted string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom("secret must be a quoted string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A TOML table read into a list that keeps the document order (the first child of a
/// connection is the one created with IKE_AUTH, so order matters).
#[derive(Debug)]
pub(crate) struct OrderedMap<T>(pub Vec<(String, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v: Vec<(String, T)> = Vec::new();
                while let Some((k, val)) = m.next_entry::<String, T>()? {
                    if v.iter().any(|(o, _)| *o == k) {
                        return Err(de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    v.push((k, val));
                }
                Ok(OrderedMap(v))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        for bad in [
            "",
            "s",
            "5x",
            "h5",
            "-3s",
            "1.5h",
            "99999999999999999999s",
            "5m3",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn secrets() {
        assert_eq!(&decode_secret("0x0aFF").unwrap()[..], &[0x0a, 0xff]);
        assert_eq!(&decode_secret("abc").unwrap()[..], b"abc");
        assert!(decode_secret("0x0").is_err());
        assert!(decode_secret("0x").is_err());
        let e = decode_secret("0xzz11").unwrap_err();
        assert!(!e.contains("zz"), "error echoes the secret: {e}");
        assert!(decode_secret("").is_err());
        assert_eq!(
            format!("{:?}", Secret(Zeroizing::new(b"k".to_vec()))),
            "Secret(<redacted>)"
        );
    }
}
