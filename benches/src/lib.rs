//! Benchmarks of sfd; see `storage.rs` and `BENCHMARKS.md`.
