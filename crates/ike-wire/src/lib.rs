//! IKEv2 wire codec (RFC 7296) with the RFC 5723 session-resumption additions.
//!
//! Parsing never panics and never allocates more than the input length; every length field is
//! checked before it is used. Emitting recomputes every length and next-payload field.
#![forbid(unsafe_code)]
