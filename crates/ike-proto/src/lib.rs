//! Sans-IO IKEv2 protocol engine with RFC 5723 session resumption.
//!
//! No sockets, no clock, no global RNG: every call takes `now`, randomness is injected.
#![forbid(unsafe_code)]
