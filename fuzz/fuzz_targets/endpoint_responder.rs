//! An `ike_proto::Endpoint` responder (PSK connection, ticket keys set) fed a sequence of
//! arbitrary datagrams, then left alone until every timer of the next minute has fired.
//!
//! Input: length-prefixed datagrams (`tessera_fuzz::responder::split_datagrams`). The responder
//! is deterministic, so the seeds — real IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL
//! and IKE_SESSION_RESUME requests recorded from a client talking to an identical responder —
//! authenticate with real crypto and the fuzzer starts from established and resumed SAs.
//!
//! Invariants (`tessera_fuzz::responder::replay`): no panic; after every datagram at most one
//! IKE SA per datagram so far and at most `HALF_OPEN_LIMIT` half-open SAs; the used-ticket log
//! within its capacity; no half-open SA survives the half-open timeout.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tessera_fuzz::responder::replay(data);
});
