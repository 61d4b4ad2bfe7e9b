//! IKEv2 wire codec (RFC 7296) with the RFC 5723 session-resumption additions.
//!
//! Parsing never panics and never allocates more than the input length; every length field is
//! checked before it is used. Emitting recomputes every length and next-payload field.
//!
//! # Shape
//!
//! - [`codepoints`]: lossless IANA enums (`Unknown(n)` keeps values we have no name for).
//! - [`IkeHeader`]: the fixed 28-octet header.
//! - [`Payload`] and one struct per payload kind (`SaPayload`, `NotifyPayload`, ...): owned
//!   `Repr`-style values with `parse_body` / `emit_body`.
//! - [`Message`], [`parse_payload_chain`], [`emit_payload_chain`], [`RawPayloads`]: the
//!   generic-header chain walk, shared by the outer message and the decrypted SK plaintext.
//!
//! Unlike smoltcp we do not expose zero-copy `Packet<T>` views: IKE payloads are variable-length
//! chains of nested TLVs, so callers want owned, fully validated values, and a view type per
//! substructure would only move the length checks somewhere less obvious. The checks live in one
//! cursor type (`reader`) that refuses to read past its input and rejects trailing bytes, in the
//! style of rustls' `codec::Reader`.
//!
//! No I/O, no clock, no crypto: SK/SKF bodies are opaque here.
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod codepoints;
mod error;
mod header;
mod message;
pub mod payload;
mod reader;

pub use codepoints::*;
pub use error::WireError;
pub use header::{Flags, IKE_HEADER_LEN, IkeHeader};
pub use message::{
    Message, RawPayload, RawPayloads, emit_payload_chain, find_encrypted_payload,
    parse_payload_chain, try_emit_payload_chain,
};
pub use payload::*;
