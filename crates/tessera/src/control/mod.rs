//! The control socket: a Unix stream socket (mode 0600) carrying one JSON request per line and
//! one JSON response per line. [`proto`] defines the messages, [`server`] the daemon side,
//! [`client`] the blocking client the CLI uses.

pub mod client;
pub mod proto;
pub mod server;

pub use proto::{ChildJson, ListJson, Request, Response, SaJson, SuspendedJson};
