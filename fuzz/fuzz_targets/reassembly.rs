//! RFC 7383 reassembly (`ike_proto::fuzzing::reassembly`): arbitrary sequences of already
//! authenticated fragments — any numbers, totals, message IDs, duplicates, re-fragmentation —
//! must never panic, and the buffered bytes stay within the per-message bound (asserted inside).
//!
//! Input: records `mid(1) | first_inner(1) | number(2) | total(2) | len(1) | data(len)`.
//! Seeds: none needed; the format is dense enough for libFuzzer to explore from scratch.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ike_proto::fuzzing::reassembly(data);
});
