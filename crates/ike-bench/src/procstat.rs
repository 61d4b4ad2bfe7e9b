//! CPU time and memory of a process from `/proc/<pid>/stat` and `/proc/<pid>/status`
//! (Linux), for responder CPU seconds per 1,000 SAs.

/// Clock ticks per second of `utime`/`stime` (`sysconf(_SC_CLK_TCK)`, 100 on Linux/x86-64 and
/// arm64; there is no portable way to ask without libc).
pub const CLK_TCK: f64 = 100.0;

/// User + system CPU seconds of `pid` and all its threads, or `None` if it is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after the last ')' are fixed.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, stime field 15.
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / CLK_TCK)
}

/// Resident set size of `pid` in KiB (`VmRSS`), or `None`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Threads of `pid` (`Threads:` in status).
pub fn threads(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}
