//! Latency percentiles and the JSON result line of a load run.

use std::time::Duration;

use serde::Serialize;

/// Percentile `p` (0..=100) of sorted `v` by nearest rank, or zero for an empty slice.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The outcome of one load run, printed as one JSON line.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// `psk`, `cert` or `resume`.
    pub mode: String,
    /// Handshakes (or resumptions) attempted in the timed phase.
    pub attempted: u64,
    /// Completed (IKE SA and its Child SA up).
    pub completed: u64,
    /// Failed: closed with an error or timed out.
    pub failures: u64,
    /// Timed-phase wall time, seconds.
    pub seconds: f64,
    /// Completed per second.
    pub rate_per_s: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Concurrent handshakes in flight.
    pub concurrency: usize,
    /// Responder CPU seconds (utime + stime) during the timed phase, if its pid was given.
    pub responder_cpu_s: Option<f64>,
    /// Responder CPU milliseconds per completed SA.
    pub responder_cpu_ms_per_sa: Option<f64>,
    /// Responder CPU seconds per 1,000 SAs.
    pub responder_cpu_s_per_1000: Option<f64>,
    /// This load generator's own CPU seconds during the timed phase.
    pub load_cpu_s: Option<f64>,
    /// Responder resident memory after the run, KiB.
    pub responder_rss_kib: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&v[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
