//! `tessera::config::Config::parse` on arbitrary text.
//!
//! The path given is in a directory that does not exist, so relative certificate and key paths
//! fail to read instead of touching files. Whatever parses must be loadable by the engine: every
//! connection passes `ConnectionConfig::validate`, the set is accepted by
//! `Endpoint::set_connections`, and the engine settings can be derived.
//!
//! Seeds: the commented example of every key (`tessera::config::EXAMPLE`) and a gateway
//! configuration like the daemon tests use.

#![no_main]

use std::path::Path;
use std::time::Instant;

use ike_proto::Endpoint;
use libfuzzer_sys::fuzz_target;
use tessera::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent/tessera-fuzz/tessera.toml");
    let Ok(cfg) = Config::parse(text, path) else {
        return;
    };
    for c in &cfg.connections {
        if let Err(e) = c.validate() {
            panic!("parsed connection {:?} does not validate: {e}", c.name);
        }
    }
    let ecfg = cfg
        .daemon
        .endpoint_config(cfg.daemon.port, cfg.daemon.natt_port);
    let mut ep = Endpoint::new(ecfg, [0; 32], Instant::now(), 1_790_000_000);
    if let Err(e) = ep.set_connections(cfg.connections.clone()) {
        panic!("the engine refuses a parsed configuration: {e}");
    }
    for c in &cfg.connections {
        let _ = cfg.session_policy(&c.name);
    }
});
