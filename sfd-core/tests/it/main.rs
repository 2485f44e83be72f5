//! Integration tests of sfd-core, built as one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

/// Inside `impl Storage` of a test wrapper with an `inner` storage: the
/// provided methods every wrapper forwards as they are (but `media`);
/// async ones cannot be made by a macro inside `#[async_trait]`.
macro_rules! forward_storage_parts {
    () => {
        fn edit_locks(&self) -> Option<&KeyLocks> {
            self.inner.edit_locks()
        }

        fn group_commit(&self) -> Option<&GroupCommit> {
            self.inner.group_commit()
        }

        fn drama_cache(&self) -> Option<&DramaCache> {
            self.inner.drama_cache()
        }

        fn keeps_summaries(&self) -> bool {
            self.inner.keeps_summaries()
        }
    };
}

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
mod render_e2e;
mod render_fetch;
mod render_jobs;
mod render_plan;
mod render_providers;
mod render_races;
mod render_support;
mod scripted;
mod summaries;
