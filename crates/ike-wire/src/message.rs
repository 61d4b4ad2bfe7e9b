//! Whole messages and the generic-header payload chain (RFC 7296 §3.1, §3.2).

use crate::codepoints::{NotifyType, PayloadType};
use crate::error::WireError;
use crate::header::{IKE_HEADER_LEN, IkeHeader};
use crate::payload::{NotifyPayload, Payload};
use crate::reader::{Reader, patch_u16};

/// Length of the generic payload header `Next(1) | C+RESERVED(1) | Length(2)`.
const GENERIC_HEADER_LEN: usize = 4;
/// The critical bit in the second generic-header octet.
const CRITICAL: u8 = 0x80;

/// One payload located by the chain walk, body not yet parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPayload<'a> {
    /// This payload's type (from the previous Next Payload field).
    pub payload_type: PayloadType,
    /// This payload's own Next Payload field (the first inner type for SK/SKF).
    pub next_payload: PayloadType,
    /// The C bit.
    pub critical: bool,
    /// Offset of the generic header from the start of the walked buffer.
    pub offset: usize,
    /// The body after the generic header.
    pub body: &'a [u8],
}

/// Iterator over a payload chain yielding [`RawPayload`]s; stops after the first error
/// (STYLE rule 7).
///
/// Enforced here, for every caller: generic header present, `4 <= length <= remaining`, no
/// unknown critical payload, nothing after SK/SKF, and no bytes after the last payload.
#[derive(Debug, Clone)]
pub struct RawPayloads<'a> {
    reader: Reader<'a>,
    next: PayloadType,
    done: bool,
}

impl<'a> RawPayloads<'a> {
    /// Walk `buf` starting with a payload of type `first`.
    pub fn new(first: PayloadType, buf: &'a [u8]) -> RawPayloads<'a> {
        RawPayloads {
            reader: Reader::new(buf),
            next: first,
            done: false,
        }
    }

    fn step(&mut self) -> Result<Option<RawPayload<'a>>, WireError> {
        if self.next == PayloadType::NoNext {
            self.reader.finish()?;
            return Ok(None);
        }
        let offset = self.reader.position();
        let next_payload = PayloadType::from(self.reader.u8()?);
        let critical = self.reader.u8()? & CRITICAL != 0;
        let len = usize::from(self.reader.u16()?);
        if len < GENERIC_HEADER_LEN {
            return Err(WireError::Malformed("payload length below 4"));
        }
        let body = self.reader.take(len - GENERIC_HEADER_LEN)?;
        let payload_type = self.next;
        if let PayloadType::Unknown(t) = payload_type {
            if critical {
                return Err(WireError::UnsupportedCriticalPayload(t));
            }
        }
        if matches!(
            payload_type,
            PayloadType::Encrypted | PayloadType::EncryptedFragment
        ) {
            // SK/SKF's Next Payload names the inner chain, so nothing may follow it.
            if !self.reader.is_empty() {
                return Err(WireError::PayloadAfterEncrypted);
            }
            self.done = true;
        }
        self.next = next_payload;
        Ok(Some(RawPayload {
            payload_type,
            next_payload,
            critical,
            offset,
            body,
        }))
    }
}

impl<'a> Iterator for RawPayloads<'a> {
    type Item = Result<RawPayload<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Parse a payload chain that starts with a payload of type `first` and must fill `buf`
/// exactly. Used for the outer message and for decrypted SK plaintext (padding removed).
pub fn parse_payload_chain(first: PayloadType, buf: &[u8]) -> Result<Vec<Payload>, WireError> {
    let mut out = Vec::new();
    for raw in RawPayloads::new(first, buf) {
        out.push(Payload::parse(&raw?)?);
    }
    Ok(out)
}

/// Append `payloads` with generic headers; returns the first payload's type (`NoNext` if
/// empty), for the IKE header or the enclosing SK payload.
///
/// Each Next Payload is the following payload's type, the last one's `NoNext`; SK/SKF keep
/// their `first_inner`.
///
/// # Panics
/// If the payloads cannot be encoded (see [`try_emit_payload_chain`]): that is a bug in the
/// caller that built them, not bad input.
pub fn emit_payload_chain(payloads: &[Payload], out: &mut Vec<u8>) -> PayloadType {
    match try_emit_payload_chain(payloads, out) {
        Ok(t) => t,
        Err(e) => panic!("payload chain cannot be encoded: {e}"),
    }
}

/// Fallible form of [`emit_payload_chain`]. Fails (leaving `out` as it was) when a length field
/// would overflow, a payload breaks an invariant parse enforces, or SK/SKF is not last.
pub fn try_emit_payload_chain(
    payloads: &[Payload],
    out: &mut Vec<u8>,
) -> Result<PayloadType, WireError> {
    let start = out.len();
    let r = emit_chain(payloads, out);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn emit_chain(payloads: &[Payload], out: &mut Vec<u8>) -> Result<PayloadType, WireError> {
    for (i, p) in payloads.iter().enumerate() {
        let next = match p {
            Payload::Encrypted(sk) if i + 1 == payloads.len() => sk.first_inner,
            Payload::EncryptedFragment(skf) if i + 1 == payloads.len() => skf.first_inner,
            Payload::Encrypted(_) | Payload::EncryptedFragment(_) => {
                return Err(WireError::PayloadAfterEncrypted);
            }
            _ => payloads
                .get(i + 1)
                .map_or(PayloadType::NoNext, Payload::payload_type),
        };
        let at = out.len();
        let flags = if p.critical() { CRITICAL } else { 0 };
        out.extend_from_slice(&[next.into(), flags, 0, 0]);
        p.emit_body(out)?;
        let len = out.len() - at;
        patch_u16(out, at + 2, len)?;
    }
    Ok(payloads
        .first()
        .map_or(PayloadType::NoNext, Payload::payload_type))
}

/// Byte offset of the SK/SKF payload's generic header inside a full message (from the first
/// SPI octet), walking the chain without parsing bodies; `None` if there is none.
///
/// The AEAD AAD is `msg[..offset + 4]` and the integrity check covers `msg[..len - icv_len]`
/// (RFC 5282 §5.1, RFC 7296 §3.14). Checks the header and its length field first.
pub fn find_encrypted_payload(msg: &[u8]) -> Result<Option<usize>, WireError> {
    let header = IkeHeader::parse(msg)?;
    if usize::try_from(header.length).ok() != Some(msg.len()) {
        return Err(WireError::LengthMismatch);
    }
    for raw in RawPayloads::new(header.next_payload, &msg[IKE_HEADER_LEN..]) {
        let raw = raw?;
        if matches!(
            raw.payload_type,
            PayloadType::Encrypted | PayloadType::EncryptedFragment
        ) {
            return Ok(Some(IKE_HEADER_LEN + raw.offset));
        }
    }
    Ok(None)
}

/// A whole IKE message: header plus the outer payload chain (SK/SKF still encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header; `length` and `next_payload` are recomputed on emit.
    pub header: IkeHeader,
    /// The outer payloads in wire order.
    pub payloads: Vec<Payload>,
}

impl Message {
    /// Parse a whole datagram (without the 4-octet non-ESP marker of port 4500).
    ///
    /// The header's length must equal `buf.len()` (RFC 7296 §3.1), and the chain must fill
    /// the rest exactly.
    pub fn parse(buf: &[u8]) -> Result<Message, WireError> {
        let header = IkeHeader::parse(buf)?;
        if usize::try_from(header.length).ok() != Some(buf.len()) {
            return Err(WireError::LengthMismatch);
        }
        let payloads = parse_payload_chain(header.next_payload, &buf[IKE_HEADER_LEN..])?;
        Ok(Message { header, payloads })
    }

    /// Encode the message, recomputing the header's length and next-payload fields.
    ///
    /// # Panics
    /// If the payloads cannot be encoded (see [`Message::try_emit`]).
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.emit_into(&mut out);
        out
    }

    /// Append the encoded message to `out` (which may already hold, e.g., the non-ESP marker;
    /// the IKE length covers only what this call appends).
    ///
    /// # Panics
    /// If the payloads cannot be encoded (see [`Message::try_emit_into`]).
    pub fn emit_into(&self, out: &mut Vec<u8>) {
        if let Err(e) = self.try_emit_into(out) {
            panic!("message cannot be encoded: {e}");
        }
    }

    /// Fallible form of [`Message::emit`].
    pub fn try_emit(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        self.try_emit_into(&mut out)?;
        Ok(out)
    }

    /// Fallible form of [`Message::emit_into`]; leaves `out` unchanged on error.
    pub fn try_emit_into(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        out.resize(start + IKE_HEADER_LEN, 0);
        let r = self.emit_rest(start, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn emit_rest(&self, start: usize, out: &mut Vec<u8>) -> Result<(), WireError> {
        let first = try_emit_payload_chain(&self.payloads, out)?;
        let length = u32::try_from(out.len() - start).map_err(|_| WireError::TooLong)?;
        let header = IkeHeader {
            next_payload: first,
            length,
            ..self.header.clone()
        };
        header.emit(&mut out[start..start + IKE_HEADER_LEN]);
        Ok(())
    }

    /// The first Notify payload of type `t` among the outer payloads.
    pub fn find_notify(&self, t: NotifyType) -> Option<&NotifyPayload> {
        self.notifies().find(|n| n.notify_type == t)
    }

    /// All outer Notify payloads, in order.
    pub fn notifies(&self) -> impl Iterator<Item = &NotifyPayload> + '_ {
        self.payloads.iter().filter_map(|p| match p {
            Payload::Notify(n) => Some(n),
            _ => None,
        })
    }
}
