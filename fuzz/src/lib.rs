//! Shared fixtures for Tessera's cargo-fuzz targets, and the generator of their seed corpora.
//!
//! The targets themselves live in `fuzz_targets/`, one file each (STYLE rule 17). What more
//! than one target needs lives here: the fixed SK keys of the five suites, the fixed DH private
//! values, and the seed messages. Seeds are built from published vectors (RFC 7634 App. B,
//! RFC 8031 App. A, RFC 5903 §8) and from real message shapes sealed with the crate's own
//! `ike_crypto::sk`, so every seed reaches past the framing checks into the payload parsers.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml` checks the committed `corpus/` against
//! [`seeds::all`]; `TESSERA_REGEN_CORPUS=1` rewrites it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod fixtures;
pub mod seeds;

#[cfg(test)]
mod corpus_tests;
