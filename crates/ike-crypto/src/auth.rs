//! AUTH payload data for shared-key authentication (RFC 7296 §2.15) and for resumed sessions
//! (RFC 5723 §4.3.3).
//!
//! Signature-based AUTH lives in `sig`; both use [`signed_octets`].

use crate::{PrfAlg, SecretBytes};

/// The pad string of RFC 7296 §2.15: 17 ASCII octets, no terminator.
const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// Build the octets an AUTH payload covers (RFC 7296 §2.15):
/// `message | peer_nonce | prf(SK_px, RestOfIDPayload)`.
///
/// - `message`: the sender's first message (IKE_SA_INIT or IKE_SESSION_RESUME request for the
///   initiator, the response for the responder), from the first SPI octet to the end, without
///   the non-ESP marker; the latest copy if it was resent.
/// - `peer_nonce`: the *other* side's nonce data (Nr for the initiator, Ni for the responder).
/// - `sk_p`: SK_pi for the initiator, SK_pr for the responder.
/// - `id_body`: the sender's ID payload without its 4-octet generic header.
///
/// The result is not secret (every part is sent in clear or derivable by the peer), so it is
/// a plain `Vec`.
pub fn signed_octets(
    prf: PrfAlg,
    message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id_body: &[u8],
) -> Vec<u8> {
    let maced_id = prf.prf(sk_p, &[id_body]);
    let mut out = Vec::with_capacity(message.len() + peer_nonce.len() + maced_id.len());
    out.extend_from_slice(message);
    out.extend_from_slice(peer_nonce);
    out.extend_from_slice(maced_id.expose());
    out
}

/// AUTH data for Auth Method 2 (Shared Key Message Integrity Code):
/// `prf(prf(PSK, "Key Pad for IKEv2"), signed_octets)` (RFC 7296 §2.15).
///
/// Returned as a secret until it is placed in the AUTH payload: a leaked AUTH value before
/// the exchange completes would let an attacker impersonate us in a racing exchange.
pub fn psk_auth(prf: PrfAlg, psk: &[u8], signed_octets: &[u8]) -> SecretBytes {
    let padded = prf.prf(psk, &[KEY_PAD]);
    prf.prf(padded.expose(), &[signed_octets])
}

/// AUTH data after resumption: `prf(SK_px, signed_octets)`, with **no** key pad
/// (RFC 5723 §4.3.3). Sent with Auth Method 2.
///
/// RFC 5723 points to the full RFC 4306 §2.15 signed octets; libreswan MACs only the
/// IKE_SESSION_RESUME message. Callers choose what they pass as `signed_octets`.
pub fn resumed_auth(prf: PrfAlg, sk_p: &[u8], signed_octets: &[u8]) -> SecretBytes {
    prf.prf(sk_p, &[signed_octets])
}

/// Check a received PSK AUTH value in constant time.
pub fn verify_psk_auth(prf: PrfAlg, psk: &[u8], signed_octets: &[u8], received: &[u8]) -> bool {
    psk_auth(prf, psk, signed_octets).ct_eq(received)
}

/// Check a received resumed-session AUTH value in constant time.
pub fn verify_resumed_auth(
    prf: PrfAlg,
    sk_p: &[u8],
    signed_octets: &[u8],
    received: &[u8],
) -> bool {
    resumed_auth(prf, sk_p, signed_octets).ct_eq(received)
}
