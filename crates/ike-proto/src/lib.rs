//! Sans-IO IKEv2 protocol engine (RFC 7296) with RFC 5723 session resumption.
//!
//! No sockets, no clock, no global RNG: every input carries `now`, randomness comes from a seed
//! the driver injects, and output is pulled with `poll_*`. The driver (the `tessera` daemon, or
//! a simulated network in tests) owns I/O. See [`Endpoint`] for the call order.
#![forbid(unsafe_code)]

pub mod config;
mod cookie;
mod endpoint;
pub mod error;
pub mod event;
mod exchange;
#[doc(hidden)]
pub mod fuzzing;
mod proposal;
mod route;
mod sa;
pub mod suspend;
pub mod ticket;
pub mod transmit;
mod ts;

pub use config::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, EndpointConfig, EspProposal, Identity,
    IkeProposal, PubKeyAuth, ResumeAuthForm, ResumptionConfig, Shard, TsConfig,
};
pub use endpoint::{Endpoint, Stats};
pub use error::{CommandError, ConfigError, PeerMisbehaved, SaError};
pub use event::{ChildInfo, Event, IkeKeyExport, SaInfo, SaState};
pub use route::route;
pub use transmit::Transmit;
