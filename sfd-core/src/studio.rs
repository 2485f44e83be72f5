//! [`Studio`]: one facade over storage, the LLM and jobs: the typed
//! functions that the server and the Python bindings both call.

use std::sync::Arc;

use crate::jobs::{JobRunner, RunnerConfig};
use crate::llm::Llm;
use crate::model::id::{id_problem, new_drama_id};
use crate::model::{GenerationRequest, Job, JobInput, JobType, now_ms};
use crate::storage::{Key, Storage, StorageExt};
use crate::{Error, Result};

/// Storage, an optional LLM and a job runner, started together.
#[derive(Debug)]
pub struct Studio {
    storage: Arc<dyn Storage>,
    runner: JobRunner,
}

impl Studio {
    /// Starts a studio (and its job runner) on `storage`. Must be called inside a tokio runtime.
    pub fn new(storage: Arc<dyn Storage>, llm: Option<Arc<dyn Llm>>, config: RunnerConfig) -> Self {
        let runner = JobRunner::start(Arc::clone(&storage), llm, config);
        Studio { storage, runner }
    }

    /// The storage, with every [`StorageExt`] and [`crate::EditExt`] function.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The job runner: get, list, cancel, wait and subscribe.
    pub fn jobs(&self) -> &JobRunner {
        &self.runner
    }

    /// Stops the runner gracefully, handing its running jobs back to the queue.
    pub async fn shutdown(&self) {
        self.runner.shutdown().await;
    }

    fn require_llm(&self) -> Result<()> {
        if self.runner.has_llm() {
            Ok(())
        } else {
            Err(Error::LlmNotConfigured)
        }
    }

    /// Queues the generation of a new drama; the job is listed under its drama id.
    /// [`Error::AlreadyExists`] if the id is taken, [`Error::LlmNotConfigured`] without an LLM.
    /// A request out of range (episodes, scenes per episode, id, an empty
    /// premise) is [`Error::Invalid`] here, before any job starts.
    pub async fn start_generation(&self, req: GenerationRequest) -> Result<Job> {
        let problems = req.problems();
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let id = req.id.unwrap_or_else(new_drama_id);
        self.require_llm()?;
        self.ensure_free(&id).await?;
        let mut job = Job::new("", JobType::GenerateDrama, id, now_ms());
        job.input = Some(JobInput {
            premise: Some(req.premise),
            model: req.model,
            episodes: req.episodes,
            scenes_per_episode: req.scenes_per_episode,
            ..Default::default()
        });
        self.runner.submit(job).await
    }

    /// Queues the improvement of drama `id` into a new drama (default id
    /// `{id}_improved_{ms}`); the job is listed under the new id.
    pub async fn start_improvement(
        &self,
        id: &str,
        feedback: &str,
        new_id: Option<String>,
        model: Option<String>,
    ) -> Result<Job> {
        if feedback.trim().is_empty() {
            return Err(Error::invalid("feedback", "the feedback must not be empty"));
        }
        let new_id = new_id.unwrap_or_else(|| crate::generate::improved_id(id));
        if let Some(msg) = id_problem(&new_id) {
            return Err(Error::invalid("newDramaId", msg));
        }
        self.storage.get_drama_bytes(id).await?;
        self.require_llm()?;
        self.ensure_free(&new_id).await?;
        let mut job = Job::new("", JobType::ImproveDrama, new_id, now_ms());
        job.input = Some(JobInput {
            feedback: Some(feedback.to_string()),
            source_drama_id: Some(id.to_string()),
            model,
            ..Default::default()
        });
        self.runner.submit(job).await
    }

    /// Queues a critique of drama `id`; its result is `{feedback, critique, usage}`.
    pub async fn start_critique(&self, id: &str, model: Option<String>) -> Result<Job> {
        self.storage.get_drama_bytes(id).await?;
        self.require_llm()?;
        let mut job = Job::new("", JobType::CriticDrama, id, now_ms());
        job.input = Some(JobInput {
            source_drama_id: Some(id.to_string()),
            model,
            ..Default::default()
        });
        self.runner.submit(job).await
    }

    async fn ensure_free(&self, id: &str) -> Result<()> {
        let key = Key::drama(id)?;
        match self.storage.get(&key).await? {
            Some(_) => Err(Error::AlreadyExists {
                kind: key.kind(),
                id: id.to_string(),
            }),
            None => Ok(()),
        }
    }
}
