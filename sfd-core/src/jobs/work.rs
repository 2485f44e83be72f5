//! What each kind of job does, given its stored input.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::generate::{
    GenerateOptions, ImproveOptions, ProgressFn, critique_drama, generate_drama, generate_one_shot, improve_drama,
};
use crate::llm::{Llm, Usage};
use crate::model::{AssembleRequest, Drama, GenerateInput, Job, JobInput, JobType, Object, Progress, RenderRequest};
use crate::render::RenderConfig;
use crate::storage::{Storage, StorageExt};
use crate::{Error, Result};

/// What a finished piece of work produced.
pub(crate) enum Outcome {
    /// A drama to save under the job's drama id.
    Drama { drama: Box<Drama>, usage: Usage },
    /// A result to store in the job record.
    Result(Object),
    /// The job failed with `error`, and still has a result to record (a
    /// render whose failed nodes it names).
    Failed { error: String, result: Object },
}

pub(crate) fn usage_json(u: &Usage) -> Value {
    json!({"calls": u.calls, "promptTokens": u.prompt_tokens, "completionTokens": u.completion_tokens})
}

/// Marks a drama as made by `job`, so a resumed job can recognise its own
/// output, and records its creation time (`metadata.created_at`).
pub(crate) fn tag(drama: &mut Drama, job: &Job, model: &str) {
    let meta = drama.metadata.get_or_insert_with(Object::new);
    meta.insert("generation".into(), json!({"jobId": job.job_id, "model": model}));
    // A new drama, even when improved from an older one.
    meta.insert(crate::model::CREATED_AT.into(), crate::model::now_ms().into());
}

/// Whether `drama` was saved by `job`.
pub(crate) fn made_by(drama: &Drama, job: &Job) -> bool {
    drama
        .metadata
        .as_ref()
        .and_then(|m| m.get("generation"))
        .and_then(|g| g.get("jobId"))
        .and_then(Value::as_str)
        == Some(job.job_id.as_str())
}

/// What a job needs besides its record: storage, the LLM, the generation
/// defaults and the render settings.
pub(crate) struct Tools<'a> {
    pub storage: &'a Arc<dyn Storage>,
    pub llm: Option<&'a dyn Llm>,
    pub defaults: &'a GenerateOptions,
    pub render: &'a Arc<RenderConfig>,
}

impl Tools<'_> {
    fn llm(&self) -> Result<&dyn Llm> {
        self.llm.ok_or(Error::LlmNotConfigured)
    }
}

/// Runs `job` by its type, one function each.
pub(crate) async fn execute(
    storage: &Arc<dyn Storage>,
    llm: Option<&dyn Llm>,
    defaults: &GenerateOptions,
    render: &Arc<RenderConfig>,
    job: &Job,
    progress: ProgressFn<'_>,
) -> Result<Outcome> {
    let tools = Tools {
        storage,
        llm,
        defaults,
        render,
    };
    let input = job.input.clone();
    match (job.kind, input) {
        (JobType::GenerateDrama, Some(JobInput::Generate(input))) => generate(&tools, job, input, progress).await,
        (JobType::GenerateDrama, _) => Err(Error::invalid("premise", "the job has no premise")),
        (
            JobType::ImproveDrama,
            Some(JobInput::Improve {
                source_drama_id,
                feedback,
                model,
            }),
        ) => {
            let source = source_drama_id.ok_or_else(no_source)?;
            improve(&tools, job, &source, &feedback, model, progress).await
        }
        (JobType::ImproveDrama, _) => Err(no_source()),
        (JobType::CriticDrama, input) => {
            let model = match input {
                Some(JobInput::Critique { model, .. }) => model,
                _ => None,
            };
            critique(&tools, job, model, progress).await
        }
        (JobType::AssembleEpisode, Some(JobInput::Assemble { episode, request })) => {
            assemble(&tools, job, &episode, request.unwrap_or_default(), progress).await
        }
        (JobType::AssembleEpisode, _) => Err(Error::invalid("episode", "the job names no episode")),
        (JobType::RenderDrama | JobType::GenerateImage | JobType::GenerateVideo | JobType::GenerateAudio, input) => {
            let request = match input {
                Some(JobInput::Render(r)) => r,
                _ => Default::default(),
            };
            render_assets(&tools, job, &request, progress).await
        }
    }
}

fn no_source() -> Error {
    Error::invalid("sourceDramaId", "the job has no source drama")
}

/// A result as the job record's object (empty if it is not one).
fn object_of<T: serde::Serialize>(result: &T) -> Object {
    match serde_json::to_value(result) {
        Ok(Value::Object(o)) => o,
        _ => Object::new(),
    }
}

/// `generate_drama`: a drama from the premise, hierarchical or in one shot.
async fn generate(tools: &Tools<'_>, job: &Job, input: GenerateInput, progress: ProgressFn<'_>) -> Result<Outcome> {
    let llm = tools.llm()?;
    let premise = input.premise;
    let opts = GenerateOptions {
        id: Some(job.drama_id.clone()),
        episodes: input.episodes,
        scenes_per_episode: input.scenes_per_episode,
        model: input.model.clone(),
        ..tools.defaults.clone()
    };
    let g = match input.mode.as_deref() {
        None | Some("hierarchical") => generate_drama(llm, &premise, &opts, progress).await?,
        Some("one_shot") => generate_one_shot(llm, &premise, &opts).await?,
        Some(other) => {
            return Err(Error::invalid(
                "mode",
                format!("unknown generation mode '{other}'; use hierarchical or one_shot"),
            ));
        }
    };
    let mut drama = g.drama;
    tag(&mut drama, job, input.model.as_deref().unwrap_or(llm.model()));
    if let Some(key) = &input.reference_image {
        crate::studio::reference::apply(&**tools.storage, &mut drama, key, tools.render).await?;
    }
    Ok(Outcome::Drama {
        drama: Box::new(drama),
        usage: g.usage,
    })
}

/// `improve_drama`: the source drama improved from feedback, under the job's drama id.
async fn improve(
    tools: &Tools<'_>,
    job: &Job,
    source: &str,
    feedback: &str,
    model: Option<String>,
    progress: ProgressFn<'_>,
) -> Result<Outcome> {
    let llm = tools.llm()?;
    let original = tools.storage.get_drama(source).await?.value;
    let defaults = tools.defaults;
    let opts = ImproveOptions {
        new_id: Some(job.drama_id.clone()),
        model: model.clone(),
        video_durations: defaults.video_durations.clone(),
        max_parallel: defaults.max_parallel,
        tokens: defaults.episode_tokens,
    };
    let improved = improve_drama(llm, &original, feedback, &opts, progress).await?;
    let mut drama = improved.drama;
    tag(&mut drama, job, model.as_deref().unwrap_or(llm.model()));
    Ok(Outcome::Drama {
        drama: Box::new(drama),
        usage: improved.usage,
    })
}

/// `critic_drama`: the critique and its feedback as the job's result.
async fn critique(tools: &Tools<'_>, job: &Job, model: Option<String>, progress: ProgressFn<'_>) -> Result<Outcome> {
    let llm = tools.llm()?;
    let drama = tools.storage.get_drama(&job.drama_id).await?.value;
    progress(Progress::new("critique", 0, 1));
    let (critique, usage) = critique_drama(llm, &drama, model.as_deref()).await?;
    progress(Progress::new("critique", 1, 1));
    let mut result = Object::new();
    result.insert("dramaId".into(), json!(job.drama_id));
    result.insert("feedback".into(), json!(critique.feedback));
    result.insert("critique".into(), json!(critique));
    result.insert("usage".into(), usage_json(&usage));
    Ok(Outcome::Result(result))
}

/// `assemble_episode`: the episode's cut.
async fn assemble(
    tools: &Tools<'_>,
    job: &Job,
    episode: &str,
    request: AssembleRequest,
    progress: ProgressFn<'_>,
) -> Result<Outcome> {
    let done = crate::assemble::cut::run(
        Arc::clone(tools.storage),
        Arc::clone(tools.render),
        &job.drama_id,
        episode,
        request,
        progress,
    )
    .await?;
    Ok(Outcome::Result(object_of(&done)))
}

/// `render_drama` and `generate_image|video|audio`: the render; failed
/// nodes fail the job, with the result still recorded.
async fn render_assets(
    tools: &Tools<'_>,
    job: &Job,
    request: &RenderRequest,
    progress: ProgressFn<'_>,
) -> Result<Outcome> {
    // Lines first, then clips as long as the speech.
    let result = crate::render::timed::run(
        Arc::clone(tools.storage),
        Arc::clone(tools.render),
        &job.drama_id,
        request,
        &job.job_id,
        progress,
    )
    .await?;
    let object = object_of(&result);
    if result.failed.is_empty() {
        Ok(Outcome::Result(object))
    } else {
        Ok(Outcome::Failed {
            error: crate::render::run::failure_message(&result),
            result: object,
        })
    }
}
