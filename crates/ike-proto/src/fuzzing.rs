//! Entry points for fuzz targets into crate-private machinery. Not a stable API.

use std::time::{Duration, Instant};

use ike_crypto::SecretBytes;

use crate::sa::fragment::{MAX_REASSEMBLY_BYTES, Reassembly, Stored, store};

/// Drive RFC 7383 reassembly with arbitrary fragments. `input` is a sequence of records
/// `mid(1) | first_inner(1) | number(2) | total(2) | len(1) | data(len)` (already
/// "authenticated"). Panics if an invariant breaks: buffered bytes stay bounded, completed
/// messages are exactly the concatenation of their pieces' lengths.
pub fn reassembly(mut input: &[u8]) {
    let t0 = Instant::now();
    let mut slot: Option<Reassembly> = None;
    let mut step = 0u64;
    while input.len() >= 7 {
        let (h, rest) = input.split_at(7);
        let len = usize::from(h[6]).min(rest.len());
        let (data, rest) = rest.split_at(len);
        input = rest;
        step += 1;
        let now = t0 + Duration::from_millis(step);
        let number = u16::from_be_bytes([h[2], h[3]]);
        let total = u16::from_be_bytes([h[4], h[5]]);
        match store(
            &mut slot,
            now,
            u32::from(h[0]),
            h[1],
            number,
            total,
            SecretBytes::from_slice(data),
        ) {
            Stored::Complete(_, all) => assert!(all.len() <= MAX_REASSEMBLY_BYTES),
            Stored::Incomplete | Stored::Rejected => {}
        }
        if let Some(r) = &slot {
            assert!(r.buffered() <= MAX_REASSEMBLY_BYTES);
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_core::{RngCore, SeedableRng};

    #[test]
    fn random_fragment_sequences_keep_the_invariants() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for _ in 0..5000 {
            let mut buf = vec![0u8; (rng.next_u32() % 2048) as usize];
            rng.fill_bytes(&mut buf);
            // Bias towards small counts so that sets actually complete.
            for rec in buf.chunks_mut(64) {
                if rec.len() >= 7 {
                    rec[2] = 0;
                    rec[3] %= 4;
                    rec[4] = 0;
                    rec[5] %= 4;
                }
            }
            super::reassembly(&buf);
        }
    }
}
