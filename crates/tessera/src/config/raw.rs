//! The TOML schema as serde types. Every table denies unknown keys; values that can be checked
//! alone are checked while deserializing (see [`super::value`]), cross-field rules in
//! [`super::build`].

use std::net::{IpAddr, Ipv4Addr};

use serde::Deserialize;
use toml::Spanned;

use super::value::{Dur, EspProp, Id, IkeProp, OrderedMap, Secret, Ts};

fn default_listen() -> Vec<IpAddr> {
    vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)]
}
fn d500() -> u16 {
    500
}
fn d4500() -> u16 {
    4500
}
fn default_socket() -> Spanned<String> {
    Spanned::new(0..0, "/run/tessera/tessera.sock".into())
}
fn default_state_dir() -> Spanned<String> {
    Spanned::new(0..0, "/var/lib/tessera".into())
}
fn d1000() -> usize {
    1000
}
fn default_half_open_limit() -> usize {
    20_000
}
fn default_log_level() -> Spanned<String> {
    Spanned::new(0..0, "info".into())
}
fn default_retransmit_timeout() -> Dur {
    Dur(std::time::Duration::from_secs(2))
}
fn d5() -> u32 {
    5
}
fn yes() -> bool {
    true
}
fn default_rekey_ike() -> Dur {
    Dur(std::time::Duration::from_secs(4 * 3600))
}
fn default_rekey_child() -> Dur {
    Dur(std::time::Duration::from_secs(3600))
}
fn default_ticket_lifetime() -> Dur {
    Dur(std::time::Duration::from_secs(8 * 3600))
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub daemon: RawDaemon,
    #[serde(default)]
    pub connections: OrderedMap<Spanned<RawConn>>,
    #[serde(default)]
    pub secrets: RawSecrets,
}

/// `[daemon]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    #[serde(default = "default_listen")]
    pub listen: Vec<IpAddr>,
    #[serde(default = "d500")]
    pub port: u16,
    #[serde(default = "d4500")]
    pub natt_port: u16,
    #[serde(default = "d4500")]
    pub remote_natt_port: u16,
    #[serde(default = "default_socket")]
    pub control_socket: Spanned<String>,
    #[serde(default = "default_state_dir")]
    pub state_dir: Spanned<String>,
    #[serde(default)]
    pub log_file: Option<Spanned<String>>,
    #[serde(default = "d1000")]
    pub cookie_threshold: usize,
    #[serde(default = "default_half_open_limit")]
    pub half_open_limit: usize,
    #[serde(default = "default_retransmit_timeout")]
    pub retransmit_timeout: Dur,
    #[serde(default = "d5")]
    pub retransmit_tries: u32,
    #[serde(default = "default_log_level")]
    pub log_level: Spanned<String>,
    #[serde(default)]
    pub ticket_key_file: Option<Spanned<String>>,
    #[serde(default)]
    pub ticket_key_rotation: Option<Spanned<Dur>>,
    #[serde(default)]
    pub wireshark_keys: Option<Spanned<String>>,
    #[serde(default = "default_fragment_mtu")]
    pub fragment_mtu: usize,
    #[serde(default)]
    pub workers: Option<Spanned<usize>>,
}

impl Default for RawDaemon {
    fn default() -> Self {
        RawDaemon {
            listen: default_listen(),
            port: 500,
            natt_port: 4500,
            remote_natt_port: 4500,
            control_socket: default_socket(),
            state_dir: default_state_dir(),
            log_file: None,
            cookie_threshold: d1000(),
            half_open_limit: default_half_open_limit(),
            retransmit_timeout: default_retransmit_timeout(),
            retransmit_tries: d5(),
            log_level: default_log_level(),
            ticket_key_file: None,
            ticket_key_rotation: None,
            wireshark_keys: None,
            fragment_mtu: default_fragment_mtu(),
            workers: None,
        }
    }
}

/// `[connections.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConn {
    #[serde(default)]
    pub remote_addrs: Option<Spanned<Vec<String>>>,
    #[serde(default = "d500")]
    pub remote_port: u16,
    #[serde(default)]
    pub local_addrs: Vec<IpAddr>,
    #[serde(default)]
    pub proposals: Option<Spanned<Vec<IkeProp>>>,
    #[serde(default)]
    pub dpd_delay: Option<Dur>,
    #[serde(default = "default_rekey_ike")]
    pub rekey_time: Dur,
    pub local: Spanned<RawAuth>,
    pub remote: Spanned<RawAuth>,
    #[serde(default)]
    pub children: OrderedMap<Spanned<RawChild>>,
    #[serde(default)]
    pub resumption: Option<Spanned<RawResumption>>,
    #[serde(default = "default_true")]
    pub fragmentation: bool,
}

fn default_true() -> bool {
    true
}

/// 1280 (IPv6 minimum MTU) − 40 (IPv6 header) − 8 (UDP header).
fn default_fragment_mtu() -> usize {
    1232
}

/// Authentication method keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum AuthKind {
    Psk,
    Pubkey,
}

/// `[connections.NAME.local]` / `.remote`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    pub auth: AuthKind,
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub certs: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    pub cacerts: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Child SA mode keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(super) enum Mode {
    #[default]
    Tunnel,
    Transport,
}

/// `[connections.NAME.children.CHILD]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChild {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub local_ts: Vec<Ts>,
    #[serde(default)]
    pub remote_ts: Vec<Ts>,
    #[serde(default)]
    pub esp_proposals: Option<Spanned<Vec<EspProp>>>,
    #[serde(default = "default_rekey_child")]
    pub rekey_time: Dur,
    #[serde(default)]
    pub life_time: Option<Spanned<Dur>>,
}

/// `[connections.NAME.resumption]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResumption {
    #[serde(default = "yes")]
    pub request_tickets: bool,
    #[serde(default = "yes")]
    pub issue_tickets: bool,
    #[serde(default = "default_ticket_lifetime")]
    pub ticket_lifetime: Dur,
    #[serde(default)]
    pub auth_form: AuthForm,
    #[serde(default)]
    pub persist: bool,
    #[serde(default)]
    pub auto_resume: bool,
}

/// What the AUTH of a resumed IKE_AUTH covers: the RFC's form, or libreswan 5.2's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(super) enum AuthForm {
    #[default]
    Rfc,
    Libreswan,
}

/// `[secrets]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    #[serde(default)]
    pub psk: OrderedMap<Spanned<RawPsk>>,
}

/// `[secrets.psk.NAME]`: the PSK of connection NAME, or (with `ids`) of any connection whose
/// remote (or local) identity is listed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPsk {
    pub secret: Secret,
    #[serde(default)]
    pub ids: Vec<Id>,
}
