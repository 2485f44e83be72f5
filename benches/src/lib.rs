//! Benchmarks of sfd; see `storage.rs` and `BENCHMARKS.md`. This library
//! holds what several benchmarks share.

/// A `kB` field of `/proc/self/status` (`VmRSS:`, `VmHWM:`), in KiB; 0 off Linux.
pub fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The peak resident set size of this process so far, in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}
