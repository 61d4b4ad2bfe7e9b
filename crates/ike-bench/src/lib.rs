//! Performance tooling for Tessera (issue 5): fixtures and captured handshakes for the criterion
//! benches (`benches/`), the `tessera-load` load generator and the `tessera-mem` memory probe.
//!
//! Nothing here runs under `cargo test`: benches run with `cargo bench -p ike-bench`, the
//! binaries from `scripts/bench-*.sh`.
#![forbid(unsafe_code)]

pub mod fixtures;
pub mod inproc;
pub mod procstat;
pub mod scenario;
pub mod summary;
