//! Tessera: an IKEv2 daemon built around RFC 5723 session resumption.
//!
//! This library holds the daemon's pieces so the binary, the demo and tests share them:
//! [`config`] (TOML), [`driver`] (tokio I/O around the sans-IO [`ike_proto::Endpoint`]),
//! [`control`] (the Unix control socket and its JSON protocol), [`kernel`] (where Child SA keys
//! go), [`state`] (ticket keys, suspended sessions and key logs on disk), [`cli`] (the `tessera`
//! command line) and [`demo`].
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod control;
pub mod demo;
pub mod driver;
pub mod kernel;
pub mod state;
