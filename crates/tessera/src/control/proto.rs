//! Control protocol messages. Requests are tagged by `command`:
//! `{"command":"initiate","name":"home","wait":true}`, `{"command":"list"}`, ...
//! Responses always carry `ok`, plus `error`, `message` or `sas`.

use ike_proto::suspend::SuspendedSession;
use ike_proto::{ChildInfo, ChildMode, SaInfo};
use serde::{Deserialize, Serialize};

/// One command for the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Request {
    /// Start connection `name`; with `wait`, answer when it is established or has failed.
    Initiate {
        /// Connection name.
        name: String,
        /// Answer only once the outcome is known.
        #[serde(default)]
        wait: bool,
    },
    /// Delete every IKE SA of connection `name`; with `wait`, answer once they are gone.
    Terminate {
        /// Connection name.
        name: String,
        /// Answer only once every SA is closed.
        #[serde(default)]
        wait: bool,
    },
    /// Report all IKE SAs and their children.
    List,
    /// Re-read the configuration file; on error keep the old one.
    Reload,
    /// Send a liveness check on every established SA of `name`.
    Dpd {
        /// Connection name.
        name: String,
    },
    /// Suspend connection `name` (RFC 5723 client side): its IKE SA is replaced by a suspended
    /// session holding the ticket (persisted if the connection says `persist = true`).
    Suspend {
        /// Connection name.
        name: String,
    },
    /// Resume connection `name` from its suspended session (IKE_SESSION_RESUME, or a full
    /// handshake if the ticket is refused or expired); with `wait`, answer once established.
    Resume {
        /// Connection name.
        name: String,
        /// Answer only once the outcome is known.
        #[serde(default)]
        wait: bool,
    },
    /// Rekey connection `name`: its IKE SA (`ike`), its Child SAs (`child`); neither = IKE SA.
    Rekey {
        /// Connection name.
        name: String,
        /// Rekey the IKE SA.
        #[serde(default)]
        ike: bool,
        /// Rekey the Child SAs.
        #[serde(default)]
        child: bool,
    },
    /// Ask the gateway for a fresh resumption ticket on connection `name` (INFORMATIONAL).
    #[serde(rename = "request-ticket")]
    RequestTicket {
        /// Connection name.
        name: String,
    },
}

/// The daemon's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Whether the command succeeded.
    pub ok: bool,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Human-readable outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// SAs (for `list`, and the new SA after a waited `initiate` or `resume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sas: Option<Vec<SaJson>>,
    /// Suspended sessions (for `list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Vec<SuspendedJson>>,
    /// After `resume`: true if resumed with the ticket, false if it fell back to a full
    /// handshake (then `fallback_reason` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// Why a resume fell back to a full handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

impl Response {
    /// Success with a message.
    pub fn ok(message: impl Into<String>) -> Response {
        Response {
            ok: true,
            message: Some(message.into()),
            ..Response::default()
        }
    }

    /// Failure with a reason.
    pub fn error(error: impl Into<String>) -> Response {
        Response {
            ok: false,
            error: Some(error.into()),
            ..Response::default()
        }
    }
}

/// An IKE SA as reported over the control socket. SPIs are lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaJson {
    /// Connection name.
    pub connection: String,
    /// `CONNECTING`, `AUTHENTICATING`, `ESTABLISHED`, `DELETING`.
    pub state: String,
    /// Whether we initiated it.
    pub initiator: bool,
    /// Initiator SPI, 16 hex digits.
    pub spi_i: String,
    /// Responder SPI, 16 hex digits.
    pub spi_r: String,
    /// Local address and port.
    pub local: String,
    /// Remote address and port.
    pub remote: String,
    /// Local identity.
    pub local_id: String,
    /// Remote identity.
    pub remote_id: String,
    /// Negotiated IKE algorithms.
    pub proposal: String,
    /// Whether a NAT was detected.
    pub nat_detected: bool,
    /// Created by RFC 5723 session resumption rather than a full handshake.
    #[serde(default)]
    pub resumed: bool,
    /// Expiry (Unix seconds) of the resumption ticket held for this SA (client side), if any.
    #[serde(default)]
    pub ticket_expires: Option<u64>,
    /// Child SAs.
    pub children: Vec<ChildJson>,
}

/// A suspended session as reported over the control socket: never the ticket or keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspendedJson {
    /// Connection name.
    pub connection: String,
    /// The gateway's address and port.
    pub peer: String,
    /// Our identity in the suspended SA.
    pub local_id: String,
    /// The gateway's identity.
    pub remote_id: String,
    /// When the ticket expires (Unix seconds).
    pub ticket_expires: u64,
    /// When the SA was suspended (Unix seconds).
    pub suspended_at: u64,
    /// Whether it is persisted in the state directory.
    pub persisted: bool,
}

/// The JSON printed by `tessera list --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListJson {
    /// IKE SAs and their children.
    pub sas: Vec<SaJson>,
    /// Suspended sessions.
    #[serde(default)]
    pub suspended: Vec<SuspendedJson>,
}

/// A Child SA as reported over the control socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildJson {
    /// Child name.
    pub name: String,
    /// Inbound ESP SPI, 8 hex digits.
    pub spi_in: String,
    /// Outbound ESP SPI, 8 hex digits.
    pub spi_out: String,
    /// ESP algorithms.
    pub proposal: String,
    /// `TUNNEL` or `TRANSPORT`.
    pub mode: String,
    /// Local traffic selectors.
    pub local_ts: Vec<String>,
    /// Remote traffic selectors.
    pub remote_ts: Vec<String>,
}

/// An IKE SPI as 16 hex digits.
pub fn spi_hex(spi: &[u8; 8]) -> String {
    format!("{:016x}", u64::from_be_bytes(*spi))
}

impl From<&SaInfo> for SaJson {
    fn from(s: &SaInfo) -> SaJson {
        SaJson {
            connection: s.connection.clone(),
            state: s.state.as_str().to_string(),
            initiator: s.initiator,
            spi_i: spi_hex(&s.spi_i),
            spi_r: spi_hex(&s.spi_r),
            local: s.local.to_string(),
            remote: s.remote.to_string(),
            local_id: s.local_id.clone(),
            remote_id: s.remote_id.clone(),
            proposal: s.proposal.clone(),
            nat_detected: s.nat_detected,
            resumed: s.resumed,
            ticket_expires: s.ticket_expires,
            children: s.children.iter().map(ChildJson::from).collect(),
        }
    }
}

impl SuspendedJson {
    /// The listing form of `s`; `persisted` says whether its file exists.
    pub fn new(s: &SuspendedSession, persisted: bool) -> SuspendedJson {
        SuspendedJson {
            connection: s.connection.clone(),
            peer: s.peer.to_string(),
            local_id: s.id_i.display(),
            remote_id: s.id_r.display(),
            ticket_expires: s.expires_at,
            suspended_at: s.suspended_at,
            persisted,
        }
    }
}

impl From<&ChildInfo> for ChildJson {
    fn from(c: &ChildInfo) -> ChildJson {
        ChildJson {
            name: c.name.clone(),
            spi_in: format!("{:08x}", c.spi_in),
            spi_out: format!("{:08x}", c.spi_out),
            proposal: c.proposal.clone(),
            mode: match c.mode {
                ChildMode::Tunnel => "TUNNEL",
                ChildMode::Transport => "TRANSPORT",
            }
            .to_string(),
            local_ts: c.local_ts.clone(),
            remote_ts: c.remote_ts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_wire_form() {
        let r: Request = serde_json::from_str(r#"{"command":"initiate","name":"home"}"#).unwrap();
        assert_eq!(
            r,
            Request::Initiate {
                name: "home".into(),
                wait: false
            }
        );
        assert_eq!(
            serde_json::to_string(&Request::List).unwrap(),
            r#"{"command":"list"}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::Terminate {
                name: "x".into(),
                wait: true
            })
            .unwrap(),
            r#"{"command":"terminate","name":"x","wait":true}"#
        );
        assert!(serde_json::from_str::<Request>(r#"{"command":"explode"}"#).is_err());
        let r: Request =
            serde_json::from_str(r#"{"command":"request-ticket","name":"home"}"#).unwrap();
        assert_eq!(
            r,
            Request::RequestTicket {
                name: "home".into()
            }
        );
        let r: Request =
            serde_json::from_str(r#"{"command":"rekey","name":"h","child":true}"#).unwrap();
        assert_eq!(
            r,
            Request::Rekey {
                name: "h".into(),
                ike: false,
                child: true
            }
        );
        assert_eq!(
            serde_json::to_string(&Request::Resume {
                name: "h".into(),
                wait: true
            })
            .unwrap(),
            r#"{"command":"resume","name":"h","wait":true}"#
        );
        assert!(serde_json::from_str::<Request>(r#"{"command":"initiate"}"#).is_err());
    }

    #[test]
    fn response_wire_form() {
        assert_eq!(
            serde_json::to_string(&Response::error("no")).unwrap(),
            r#"{"ok":false,"error":"no"}"#
        );
        assert_eq!(spi_hex(&[0, 1, 2, 3, 4, 5, 6, 0xff]), "00010203040506ff");
    }
}
