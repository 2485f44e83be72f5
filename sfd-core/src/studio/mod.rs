//! [`Studio`]: one facade over storage, the LLM, the renderers and jobs:
//! the typed functions that the server and the Python bindings both call.
//! Its media functions are in `render.rs`, its exports in `export.rs` and
//! `handoff.rs` (editors' timelines), its assembly in `assemble.rs`, a
//! character's reference voice clip in `voice.rs`.

mod assemble;
#[cfg(feature = "jobs")]
mod candidates;
mod exclusive;
mod export;
mod handoff;
pub(crate) mod reference;
mod render;
mod voice;

use std::sync::Arc;

use crate::jobs::{JobRunner, RunnerConfig};
use crate::llm::Llm;
use crate::model::id::{id_problem, new_drama_id};
use crate::model::{GenerateInput, GenerationRequest, Job, JobInput, JobType, now_ms};
use crate::render::RenderConfig;
use crate::storage::{Key, Storage, StorageExt};
use crate::{Error, Result};

pub use export::Export;
pub use render::CollectOptions;
pub use voice::VOICE_SAMPLE_LIMIT;

/// Storage, an optional LLM and a job runner, started together.
#[derive(Debug)]
pub struct Studio {
    storage: Arc<dyn Storage>,
    runner: JobRunner,
}

/// Builds a [`Studio`]: storage, and optionally an LLM, renderers and job settings.
///
/// ```no_run
/// # async fn demo() -> sfd_core::Result<()> {
/// use std::sync::Arc;
/// let storage = Arc::new(sfd_core::StorageBuilder::memory().build()?);
/// let render = sfd_core::RenderConfig::from_env_vars(|k| std::env::var(k).ok())?;
/// let studio = sfd_core::Studio::builder(storage).with_render(render).start();
/// # Ok(()) }
/// ```
pub struct StudioBuilder {
    storage: Arc<dyn Storage>,
    llm: Option<Arc<dyn Llm>>,
    render: RenderConfig,
    config: RunnerConfig,
}

impl std::fmt::Debug for StudioBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudioBuilder")
            .field("storage", &self.storage.describe())
            .field("llm", &self.llm.as_ref().map(|l| l.model().to_string()))
            .field("render", &self.render)
            .finish_non_exhaustive()
    }
}

impl StudioBuilder {
    /// Generates with `llm`.
    pub fn with_llm(mut self, llm: Arc<dyn Llm>) -> Self {
        self.llm = Some(llm);
        self
    }

    /// Generates with `llm` when there is one.
    pub fn with_llm_option(mut self, llm: Option<Arc<dyn Llm>>) -> Self {
        self.llm = llm;
        self
    }

    /// Renders media with these renderers and settings.
    pub fn with_render(mut self, render: RenderConfig) -> Self {
        self.render = render;
        self
    }

    /// How the job runner behaves.
    pub fn with_runner_config(mut self, config: RunnerConfig) -> Self {
        self.config = config;
        self
    }

    /// Starts the studio and its job runner. Must be called inside a tokio runtime.
    /// Its storage operations are metered ([`crate::MeteredStorage`]).
    pub fn start(self) -> Studio {
        let storage: Arc<dyn Storage> = Arc::new(crate::MeteredStorage::new(self.storage));
        let runner = JobRunner::start_with_render(Arc::clone(&storage), self.llm, Arc::new(self.render), self.config);
        Studio { storage, runner }
    }
}

impl Studio {
    /// Starts a studio (and its job runner) on `storage`. Must be called inside a tokio runtime.
    pub fn new(storage: Arc<dyn Storage>, llm: Option<Arc<dyn Llm>>, config: RunnerConfig) -> Self {
        Self::builder(storage)
            .with_llm_option(llm)
            .with_runner_config(config)
            .start()
    }

    /// A builder: add an LLM, renderers and job settings, then [`StudioBuilder::start`].
    pub fn builder(storage: Arc<dyn Storage>) -> StudioBuilder {
        StudioBuilder {
            storage,
            llm: None,
            render: RenderConfig::default(),
            config: RunnerConfig::default(),
        }
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
        let job = self.generation_job(req).await?;
        self.runner.submit(job).await
    }

    /// The job of a generation request, checked but not queued.
    async fn generation_job(&self, req: GenerationRequest) -> Result<Job> {
        let problems = req.problems();
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let id = req.id.unwrap_or_else(new_drama_id);
        self.require_llm()?;
        self.ensure_free(&id).await?;
        let mut job = Job::new("", JobType::GenerateDrama, id, now_ms());
        job.input = Some(JobInput::Generate(GenerateInput {
            premise: req.premise,
            model: req.model,
            episodes: req.episodes,
            scenes_per_episode: req.scenes_per_episode,
            ..Default::default()
        }));
        Ok(job)
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
        job.input = Some(JobInput::Improve {
            source_drama_id: Some(id.to_string()),
            feedback: feedback.to_string(),
            model,
        });
        self.runner.submit(job).await
    }

    /// Queues a critique of drama `id`; its result is `{feedback, critique, usage}`.
    pub async fn start_critique(&self, id: &str, model: Option<String>) -> Result<Job> {
        self.storage.get_drama_bytes(id).await?;
        self.require_llm()?;
        let mut job = Job::new("", JobType::CriticDrama, id, now_ms());
        job.input = Some(JobInput::Critique {
            source_drama_id: Some(id.to_string()),
            model,
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
