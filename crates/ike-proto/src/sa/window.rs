//! Message IDs, the request window (size 1, RFC 7296 §2.3), retransmission with exponential
//! backoff (§2.1) and the response cache for retransmitted requests.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use crate::config::EndpointConfig;

/// Why we sent a request: decides how its response is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// IKE_SA_INIT.
    Init,
    /// IKE_AUTH.
    Auth,
    /// Empty INFORMATIONAL (liveness check).
    Dpd,
    /// INFORMATIONAL with Delete(IKE).
    DeleteIke,
    /// INFORMATIONAL with Delete(ESP, our inbound SPI).
    DeleteChild(u32),
    /// CREATE_CHILD_SA for a new Child SA from template index.
    CreateChild(usize),
    /// CREATE_CHILD_SA rekeying the Child SA (template index, our inbound SPI).
    RekeyChild(usize, u32),
    /// CREATE_CHILD_SA rekeying the IKE SA.
    RekeyIke,
    /// INFORMATIONAL with N(TICKET_REQUEST): ticket renewal by the client (RFC 5723 §4.1).
    TicketRequest,
}

/// Our request in flight.
#[derive(Debug)]
pub(crate) struct Outstanding {
    /// Its message ID.
    pub mid: u32,
    /// What it is for.
    pub kind: RequestKind,
    /// The datagram(s) as sent (several when fragmented), for bitwise-identical retransmission.
    pub packets: Vec<Vec<u8>>,
    /// Retransmissions so far.
    pub retries: u32,
    /// When to retransmit next.
    pub next: Instant,
}

/// The peer's last request and our response to it.
#[derive(Debug)]
struct Cached {
    mid: u32,
    request_hash: u64,
    response: Vec<Vec<u8>>,
}

/// What a retransmission timer expiry asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Retransmit {
    /// Nothing is due.
    Nothing,
    /// Send these datagrams again.
    Resend(Vec<Vec<u8>>),
    /// Retries exhausted.
    GiveUp,
}

/// How a request from the peer relates to the window.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inbound {
    /// The next request: process it.
    New,
    /// A retransmission of the last one: resend this cached response.
    Retransmit(Vec<Vec<u8>>),
    /// Old or out of window: drop silently.
    Drop,
}

/// Message-ID bookkeeping for one IKE SA.
#[derive(Debug, Default)]
pub(crate) struct Window {
    next_out: u32,
    next_in: u32,
    outstanding: Option<Outstanding>,
    cached: Option<Cached>,
}

pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

impl Window {
    /// A window whose first request (ours and theirs) uses `mid`.
    pub(crate) fn starting_at(next_out: u32, next_in: u32) -> Window {
        Window {
            next_out,
            next_in,
            outstanding: None,
            cached: None,
        }
    }

    /// Can we send a request now?
    pub(crate) fn is_idle(&self) -> bool {
        self.outstanding.is_none()
    }

    /// The message ID our next request takes.
    pub(crate) fn next_request_mid(&self) -> u32 {
        self.next_out
    }

    /// Record a request as sent; it is retransmitted until answered.
    pub(crate) fn sent(
        &mut self,
        kind: RequestKind,
        packets: Vec<Vec<u8>>,
        now: Instant,
        cfg: &EndpointConfig,
    ) -> u32 {
        let mid = self.next_out;
        self.next_out = self.next_out.wrapping_add(1);
        self.outstanding = Some(Outstanding {
            mid,
            kind,
            packets,
            retries: 0,
            next: now + cfg.retransmit_timeout,
        });
        mid
    }

    /// Replace the outstanding request's bytes (IKE_SA_INIT retry after COOKIE/INVALID_KE keeps MID 0).
    pub(crate) fn resend_same_mid(&mut self, packet: Vec<u8>, now: Instant, cfg: &EndpointConfig) {
        if let Some(o) = &mut self.outstanding {
            o.packets = vec![packet];
            o.retries = 0;
            o.next = now + cfg.retransmit_timeout;
        }
    }

    /// The outstanding request, if `mid` answers it.
    pub(crate) fn matches_response(&self, mid: u32) -> Option<&Outstanding> {
        self.outstanding.as_ref().filter(|o| o.mid == mid)
    }

    /// The response arrived: the window is free.
    pub(crate) fn complete(&mut self) -> Option<Outstanding> {
        self.outstanding.take()
    }

    /// When the next retransmission is due.
    pub(crate) fn next_retransmit(&self) -> Option<Instant> {
        self.outstanding.as_ref().map(|o| o.next)
    }

    /// Handle the retransmission timer (exponential backoff: timeout × base^retries).
    pub(crate) fn on_timeout(&mut self, now: Instant, cfg: &EndpointConfig) -> Retransmit {
        let Some(o) = &mut self.outstanding else {
            return Retransmit::Nothing;
        };
        if now < o.next {
            return Retransmit::Nothing;
        }
        if o.retries >= cfg.retransmit_tries {
            return Retransmit::GiveUp;
        }
        o.retries += 1;
        let factor = cfg.retransmit_base.powi(o.retries as i32);
        o.next = now + Duration::from_secs_f64(cfg.retransmit_timeout.as_secs_f64() * factor);
        Retransmit::Resend(o.packets.clone())
    }

    /// Classify a request from the peer by message ID (and, for the last one, its bytes).
    pub(crate) fn classify_request(&self, mid: u32, packet: &[u8]) -> Inbound {
        if mid == self.next_in {
            return Inbound::New;
        }
        match &self.cached {
            Some(c) if c.mid == mid && c.request_hash == hash_bytes(packet) => {
                Inbound::Retransmit(c.response.clone())
            }
            _ => Inbound::Drop,
        }
    }

    /// The message ID and datagrams of our last response (for fragmented retransmissions,
    /// RFC 7383 §2.6.3: answered when fragment 1 of the request arrives again).
    pub(crate) fn cached_response(&self, mid: u32) -> Option<Vec<Vec<u8>>> {
        self.cached
            .as_ref()
            .filter(|c| c.mid == mid)
            .map(|c| c.response.clone())
    }

    /// The peer's request `mid` has been answered with `response`.
    pub(crate) fn responded(&mut self, mid: u32, request: &[u8], response: Vec<Vec<u8>>) {
        self.next_in = mid.wrapping_add(1);
        self.cached = Some(Cached {
            mid,
            request_hash: hash_bytes(request),
            response,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_then_gives_up() {
        let cfg = EndpointConfig {
            retransmit_tries: 3,
            ..EndpointConfig::default()
        };
        let t0 = Instant::now();
        let mut w = Window::default();
        assert_eq!(w.sent(RequestKind::Dpd, vec![vec![1, 2, 3]], t0, &cfg), 0);
        let mut now = t0;
        let mut gaps = Vec::new();
        loop {
            let due = w.next_retransmit().unwrap();
            gaps.push(due - now);
            now = due;
            match w.on_timeout(now, &cfg) {
                Retransmit::Resend(p) => assert_eq!(p, vec![vec![1, 2, 3]]),
                Retransmit::GiveUp => break,
                Retransmit::Nothing => panic!("timer fired early"),
            }
        }
        assert_eq!(gaps.len(), 4);
        for pair in gaps.windows(2) {
            let ratio = pair[1].as_secs_f64() / pair[0].as_secs_f64();
            assert!((ratio - cfg.retransmit_base).abs() < 1e-6, "ratio {ratio}");
        }
    }

    #[test]
    fn retransmitted_request_gets_cached_response() {
        let mut w = Window::default();
        assert_eq!(w.classify_request(0, b"req"), Inbound::New);
        w.responded(0, b"req", vec![b"resp".to_vec()]);
        assert_eq!(
            w.classify_request(0, b"req"),
            Inbound::Retransmit(vec![b"resp".to_vec()])
        );
        assert_eq!(w.classify_request(0, b"other"), Inbound::Drop);
        assert_eq!(w.classify_request(1, b"x"), Inbound::New);
        assert_eq!(w.classify_request(5, b"x"), Inbound::Drop);
    }
}
