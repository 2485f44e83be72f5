//! Durable jobs: records in [`crate::Storage`], a durable queue, leases,
//! recovery after crashes, cancellation and live events.

mod claim;
mod events;
#[cfg(test)]
mod fault_tests;
mod finish;
mod queue;
mod runner;
mod subscribe;
#[cfg(test)]
mod timeout_tests;
mod work;

use std::time::Duration;

pub use events::{JobEvent, JobEventKind};
pub use runner::JobRunner;

use crate::generate::GenerateOptions;

/// How a [`JobRunner`] behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerConfig {
    /// Jobs working at once in this runner (`SFD_JOB_CONCURRENCY`). A job
    /// only waiting on a provider (an LLM answer, a video task) gives its
    /// slot back meanwhile; each provider's own limit bounds those.
    pub concurrency: usize,
    /// How long a claim holds without renewal; renewed every third of it.
    pub lease: Duration,
    /// The longest a job may run, from when this runner starts it (time in
    /// the queue does not count; waits on providers do).
    pub job_timeout: Duration,
    /// Starts allowed per job before an interrupted job is failed.
    pub max_attempts: u32,
    /// How often to look for work other processes queued, and to poll jobs
    /// run elsewhere.
    pub poll_interval: Duration,
    /// The least time between two progress writes to storage.
    pub progress_interval: Duration,
    /// Defaults for generation jobs (durations, parallelism, budgets).
    pub generate: GenerateOptions,
    /// A stable name for this runner: the same after a restart, and never
    /// shared by two live runners (the server uses `host:port`). It is
    /// stored with every job the runner claims, so after a crash and a
    /// restart the runner resumes the jobs its previous life left
    /// `processing` at once, instead of waiting for their leases to expire.
    /// `None`: a random name, and such jobs wait for their leases.
    pub identity: Option<String>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            concurrency: 16,
            lease: Duration::from_secs(30),
            job_timeout: Duration::from_secs(30 * 60),
            max_attempts: 3,
            poll_interval: Duration::from_secs(2),
            progress_interval: Duration::from_secs(1),
            generate: GenerateOptions::default(),
            identity: None,
        }
    }
}
