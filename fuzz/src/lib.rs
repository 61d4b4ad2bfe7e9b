//! Shared fixtures for Tessera's cargo-fuzz targets, and the generator of their seed corpora.
//!
//! The targets themselves live in `fuzz_targets/`, one file each (STYLE rule 17). What more
//! than one target needs lives here: the fixed SK keys of the five suites, the fixed DH private
//! values, and the seed messages. Seeds are built from published vectors (RFC 7634 App. B,
//! RFC 8031 App. A, RFC 5903 §8) and from real message shapes sealed with the crate's own
//! `ike_crypto::sk`, so every seed reaches past the framing checks into the payload parsers.
//!
//! The engine-level targets (`endpoint_responder`, `ticket_open`, `session_decode`) are seeded
//! from real exchanges with a deterministic responder ([`responder`], [`proto_seeds`]);
//! `config_parse` from the daemon's example configuration.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml` checks the committed `corpus/` against
//! [`seeds::all`]; `TESSERA_REGEN_CORPUS=1` rewrites it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod fixtures;
pub mod proto_seeds;
pub mod responder;
pub mod seeds;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod proto_corpus_tests;
#[cfg(test)]
mod regression_tests;
