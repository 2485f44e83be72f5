//! Integration tests of sfd-core, built as one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod assemble_input;
mod backends;
mod conformance;
mod export_injection;
mod fixtures;
mod generation;
mod generation_counts;
mod group_commit;
mod group_commit_cancel;
mod job_faults;
mod jobs;
mod legacy_layout;
mod library;
mod local_models;
mod media_collect;
mod openai;
mod processes;
mod races;
mod render_candidates;
mod render_capabilities;
mod render_e2e;
mod render_fetch;
mod render_jobs;
mod render_paid_once;
mod render_plan;
mod render_providers;
mod render_races;
mod render_references;
mod render_shot_references;
mod render_support;
mod render_task_providers;
mod render_task_providers2;
mod scripted;
mod summaries;
