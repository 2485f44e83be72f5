//! The GraphQL object types: the old server's `Drama`, `Character`,
//! `Episode`, `Scene`, `Job` and `DramaSummary` (camelCase, `r2Url`,
//! `coverPhoto`), each with sfd's newer fields (assets with their render
//! metadata, metadata, progress, results).

use std::sync::Arc;

use async_graphql::{Context, Json, Object, Result, SimpleObject};
use serde_json::Value;
use sfd_core::{COVER_ID, Drama, Job, JobStatus, RenderRecord, RenderResult, portrait_id};

use super::{gql, state};
use crate::doors::job_touches;

fn iso(ms: u64) -> String {
    humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)).to_string()
}

fn object(o: &Option<sfd_core::Object>) -> Option<Json<Value>> {
    o.as_ref().map(|m| Json(Value::Object(m.clone())))
}

/// The drama's jobs that `keep` selects, oldest first.
async fn jobs_where(ctx: &Context<'_>, drama_id: &str, keep: impl Fn(&Job) -> bool) -> Result<Vec<JobObj>> {
    let jobs = state(ctx)?.studio().jobs().list(drama_id).await.map_err(gql)?;
    Ok(jobs.into_iter().filter(|j| keep(j)).map(JobObj).collect())
}

/// A drama: the old schema's fields and sfd's.
pub(crate) struct DramaObj {
    pub drama: Arc<Drama>,
    /// The job a mutation started for this drama.
    pub job: Option<Job>,
}

#[Object(name = "Drama")]
impl DramaObj {
    async fn id(&self) -> &str {
        &self.drama.id
    }
    async fn title(&self) -> &str {
        &self.drama.title
    }
    async fn description(&self) -> &str {
        &self.drama.description
    }
    async fn premise(&self) -> &str {
        &self.drama.premise
    }
    async fn url(&self) -> Option<&str> {
        self.drama.url.as_deref()
    }
    /// The cover's URL once rendered (the `cover` asset); the old server kept it in `url`.
    async fn cover_photo(&self) -> Option<&str> {
        cover_url(&self.drama)
    }
    async fn characters(&self) -> Vec<CharacterObj> {
        let d = &self.drama;
        (0..d.characters.len())
            .map(|i| CharacterObj {
                drama: Arc::clone(d),
                index: i,
                job: None,
            })
            .collect()
    }
    async fn episodes(&self) -> Vec<EpisodeObj> {
        let d = &self.drama;
        (0..d.episodes.len())
            .map(|i| EpisodeObj {
                drama: Arc::clone(d),
                index: i,
            })
            .collect()
    }
    /// Drama-level assets (the cover among them).
    async fn assets(&self) -> Vec<AssetObj> {
        self.drama.assets.iter().cloned().map(AssetObj).collect()
    }
    /// Free-form metadata, as JSON.
    async fn metadata(&self) -> Option<Json<Value>> {
        object(&self.drama.metadata)
    }
    /// When the drama was first stored (ms since the epoch, as a string).
    async fn created_at(&self) -> Option<String> {
        self.drama.created_at().map(iso)
    }
    /// The drama's jobs, oldest first, optionally of one status.
    async fn jobs(&self, ctx: &Context<'_>, status: Option<String>) -> Result<Vec<JobObj>> {
        let status = status.as_deref().map(parse_status).transpose()?;
        jobs_where(ctx, &self.drama.id, |j| status.is_none_or(|s| j.status == s)).await
    }
    /// The job the mutation that answered this drama started.
    async fn job(&self) -> Option<JobObj> {
        self.job.clone().map(JobObj)
    }
}

/// The URL of the drama's rendered cover, else the drama's own `url`.
pub(crate) fn cover_url(d: &Drama) -> Option<&str> {
    d.assets
        .iter()
        .find(|a| a.id == COVER_ID)
        .and_then(|a| a.url.as_deref())
        .or(d.url.as_deref())
}

/// A character of a drama.
pub(crate) struct CharacterObj {
    pub drama: Arc<Drama>,
    pub index: usize,
    /// The job a mutation started for this character.
    pub job: Option<Job>,
}

impl CharacterObj {
    fn c(&self) -> &sfd_core::Character {
        &self.drama.characters[self.index]
    }
}

#[Object(name = "Character")]
impl CharacterObj {
    async fn id(&self) -> &str {
        &self.c().id
    }
    async fn name(&self) -> &str {
        &self.c().name
    }
    async fn description(&self) -> &str {
        &self.c().description
    }
    async fn gender(&self) -> Option<&str> {
        self.c().gender.as_deref()
    }
    async fn voice_description(&self) -> Option<&str> {
        self.c().voice_description.as_deref()
    }
    async fn main(&self) -> bool {
        self.c().main
    }
    /// The portrait's URL once rendered.
    async fn url(&self) -> Option<&str> {
        self.c().url.as_deref()
    }
    async fn premise_url(&self) -> Option<&str> {
        self.c().premise_url.as_deref()
    }
    async fn assets(&self) -> Vec<AssetObj> {
        self.c().assets.iter().cloned().map(AssetObj).collect()
    }
    async fn metadata(&self) -> Option<Json<Value>> {
        object(&self.c().metadata)
    }
    /// The jobs that rendered (or render) this character's assets.
    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobObj>> {
        let c = self.c();
        let portrait = portrait_id(&c.id);
        let mut ids: Vec<&str> = c.assets.iter().map(|a| a.id.as_str()).collect();
        ids.push(&portrait);
        jobs_where(ctx, &self.drama.id, |j| job_touches(j, Some(&c.id), None, &ids)).await
    }
    /// The job the mutation that answered this character started.
    async fn job(&self) -> Option<JobObj> {
        self.job.clone().map(JobObj)
    }
}

/// An episode of a drama.
pub(crate) struct EpisodeObj {
    pub drama: Arc<Drama>,
    pub index: usize,
}

impl EpisodeObj {
    fn e(&self) -> &sfd_core::Episode {
        &self.drama.episodes[self.index]
    }
}

#[Object(name = "Episode")]
impl EpisodeObj {
    async fn id(&self) -> &str {
        &self.e().id
    }
    async fn title(&self) -> &str {
        &self.e().title
    }
    async fn description(&self) -> &str {
        &self.e().description
    }
    async fn premise(&self) -> Option<&str> {
        self.e().premise.as_deref()
    }
    /// The assembled episode's URL.
    async fn url(&self) -> Option<&str> {
        self.e().url.as_deref()
    }
    async fn scenes(&self) -> Vec<SceneObj> {
        (0..self.e().scenes.len())
            .map(|i| SceneObj {
                drama: Arc::clone(&self.drama),
                episode: self.index,
                index: i,
            })
            .collect()
    }
    async fn assets(&self) -> Vec<AssetObj> {
        self.e().assets.iter().cloned().map(AssetObj).collect()
    }
    async fn metadata(&self) -> Option<Json<Value>> {
        object(&self.e().metadata)
    }
    /// The episode as a timeline: each scene's shot, when it starts, how
    /// long it lasts, and the line spoken in it (as the cut and exports see it).
    async fn shots(&self, ctx: &Context<'_>) -> Result<Vec<ShotObj>> {
        let seconds = state(ctx)?.studio().render_config().video_duration();
        let shots = sfd_core::export::timeline(&self.drama, self.e(), seconds);
        Ok(shots
            .iter()
            .map(|s| ShotObj {
                scene_id: s.scene.id.clone(),
                start: s.start,
                duration: s.duration,
                image_url: s.image.and_then(|a| a.url.clone()),
                video_url: s.video.and_then(|a| a.url.clone()),
                audio_url: s.audio.and_then(|a| a.url.clone()),
                speaker: s.speaker.map(str::to_string),
                line: s.line().map(str::to_string),
            })
            .collect())
    }
    /// The jobs that rendered or assembled this episode.
    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobObj>> {
        let e = self.e();
        let ids: Vec<&str> = e.assets.iter().map(|a| a.id.as_str()).collect();
        jobs_where(ctx, &self.drama.id, |j| job_touches(j, None, Some(&e.id), &ids)).await
    }
}

/// One scene on an episode's timeline.
#[derive(SimpleObject)]
#[graphql(name = "Shot")]
pub(crate) struct ShotObj {
    scene_id: String,
    /// Seconds from the episode's start.
    start: f64,
    /// Seconds it lasts.
    duration: f64,
    /// The scene's first image, once rendered.
    image_url: Option<String>,
    /// The scene's first clip, once rendered.
    video_url: Option<String>,
    /// The scene's spoken line, once rendered.
    audio_url: Option<String>,
    /// Who speaks the line; null for narration.
    speaker: Option<String>,
    /// The spoken line.
    line: Option<String>,
}

/// A scene of an episode.
pub(crate) struct SceneObj {
    pub drama: Arc<Drama>,
    pub episode: usize,
    pub index: usize,
}

impl SceneObj {
    fn s(&self) -> &sfd_core::Scene {
        &self.drama.episodes[self.episode].scenes[self.index]
    }
}

#[Object(name = "Scene")]
impl SceneObj {
    async fn id(&self) -> &str {
        &self.s().id
    }
    async fn description(&self) -> &str {
        &self.s().description
    }
    async fn image_url(&self) -> Option<&str> {
        self.s().image_url.as_deref()
    }
    async fn video_url(&self) -> Option<&str> {
        self.s().video_url.as_deref()
    }
    /// The scene's shots and lines: its image, video and audio assets.
    async fn assets(&self) -> Vec<AssetObj> {
        self.s().assets.iter().cloned().map(AssetObj).collect()
    }
    async fn metadata(&self) -> Option<Json<Value>> {
        object(&self.s().metadata)
    }
    /// The jobs that rendered this scene's assets.
    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobObj>> {
        let ids: Vec<&str> = self.s().assets.iter().map(|a| a.id.as_str()).collect();
        jobs_where(ctx, &self.drama.id, |j| job_touches(j, None, None, &ids)).await
    }
}

/// An asset: a prompt, and its file once rendered.
pub(crate) struct AssetObj(pub sfd_core::Asset);

#[Object(name = "Asset")]
impl AssetObj {
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// `image`, `video` or `audio`.
    async fn kind(&self) -> &'static str {
        match self.0.kind {
            sfd_core::AssetKind::Image => "image",
            sfd_core::AssetKind::Video => "video",
            sfd_core::AssetKind::Audio => "audio",
        }
    }
    async fn depends_on(&self) -> &[String] {
        &self.0.depends_on
    }
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// Seconds (videos).
    async fn duration(&self) -> Option<i64> {
        self.0.duration
    }
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    async fn metadata(&self) -> Option<Json<Value>> {
        object(&self.0.metadata)
    }
    /// How the file was made (`metadata.render`), once rendered.
    async fn render(&self) -> Option<RenderMeta> {
        RenderRecord::of(&self.0).map(|r| RenderMeta {
            provider: r.provider,
            model: r.model,
            prompt_hash: r.prompt_hash,
            inputs_hash: r.inputs_hash,
            bytes: r.bytes as f64,
            content_type: r.content_type,
            rendered_at: iso(r.rendered_at),
            cost_usd: r.cost_usd,
            usage: Json(serde_json::to_value(r.usage).unwrap_or(Value::Null)),
            key: r.key,
            job_id: r.job_id,
        })
    }
}

/// `metadata.render` of a rendered asset.
#[derive(SimpleObject)]
pub(crate) struct RenderMeta {
    provider: String,
    model: String,
    prompt_hash: String,
    inputs_hash: String,
    /// Size of the file in bytes.
    bytes: f64,
    content_type: String,
    /// When it was rendered (RFC 3339).
    rendered_at: String,
    cost_usd: f64,
    /// What the provider reported spending.
    usage: Json<Value>,
    /// The media key of the file.
    key: Option<String>,
    /// The job that rendered it.
    job_id: Option<String>,
}

/// A drama as listed: its head without episodes.
#[derive(SimpleObject)]
#[graphql(name = "DramaSummary")]
pub(crate) struct SummaryObj {
    pub id: String,
    pub title: String,
    pub description: String,
    pub premise: String,
    pub url: Option<String>,
    /// When it was first stored (RFC 3339).
    pub created_at: Option<String>,
    /// When it was last written (RFC 3339).
    pub updated_at: Option<String>,
}

impl From<sfd_core::DramaSummary> for SummaryObj {
    fn from(s: sfd_core::DramaSummary) -> Self {
        let created = s
            .metadata
            .as_ref()
            .and_then(|m| m.get(sfd_core::CREATED_AT))
            .and_then(Value::as_u64);
        SummaryObj {
            id: s.id,
            title: s.title,
            description: s.description,
            premise: s.premise,
            url: s.url,
            created_at: created.map(iso),
            updated_at: s.updated_at.map(iso),
        }
    }
}

/// A job's progress.
#[derive(SimpleObject)]
pub(crate) struct ProgressObj {
    stage: String,
    done: u32,
    total: u32,
}

/// A job: the old schema's `Job` over sfd's job record.
#[derive(Clone)]
pub(crate) struct JobObj(pub Job);

impl JobObj {
    fn render_result(&self) -> Option<RenderResult> {
        let r = self.0.result.as_ref()?;
        serde_json::from_value(Value::Object(r.clone())).ok()
    }
}

/// Parses a job status as the REST records write it.
pub(crate) fn parse_status(s: &str) -> Result<JobStatus> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        gql(crate::HttpError::bad_request(format!(
            "status must be pending, processing, completed, failed or cancelled, got '{s}'"
        )))
    })
}

fn wire(v: impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

#[Object(name = "Job")]
impl JobObj {
    async fn job_id(&self) -> &str {
        &self.0.job_id
    }
    async fn drama_id(&self) -> &str {
        &self.0.drama_id
    }
    /// The asset a single-asset render is for.
    async fn asset_id(&self) -> Option<String> {
        let assets = self.0.input.as_ref()?.render()?.assets.as_ref()?;
        (assets.len() == 1).then(|| assets[0].clone())
    }
    /// As in the REST record: `generate_drama`, `render_drama`, `generate_image`, …
    #[graphql(name = "type")]
    async fn kind(&self) -> String {
        wire(self.0.kind)
    }
    /// `pending`, `processing`, `completed`, `failed` or `cancelled`.
    async fn status(&self) -> String {
        wire(self.0.status)
    }
    /// The premise of a generation.
    async fn prompt(&self) -> Option<&str> {
        self.0.input.as_ref()?.premise()
    }
    /// The URL of the file the job made: the first rendered asset's, or the cut's.
    async fn r2_url(&self) -> Option<String> {
        if let Some(r) = self.render_result()
            && let Some(first) = r.rendered.first()
        {
            return Some(first.url.clone());
        }
        self.0.result.as_ref()?.get("url")?.as_str().map(str::to_string)
    }
    /// RFC 3339.
    async fn created_at(&self) -> String {
        iso(self.0.created_at)
    }
    async fn started_at(&self) -> Option<String> {
        self.0.started_at.map(iso)
    }
    async fn completed_at(&self) -> Option<String> {
        self.0.completed_at.map(iso)
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// sfd runs a render as one job; there are no parent jobs.
    async fn parent_job_id(&self) -> Option<String> {
        None
    }
    /// sfd runs a render as one job; there are no child jobs.
    async fn child_jobs(&self) -> Option<Vec<String>> {
        None
    }
    /// Units of the current stage.
    async fn total_jobs(&self) -> Option<u32> {
        self.0.progress.as_ref().map(|p| p.total)
    }
    /// Assets rendered so far (render jobs).
    async fn completed_jobs(&self) -> Option<u32> {
        match self.render_result() {
            Some(r) => Some(r.rendered.len() as u32),
            None => self.0.progress.as_ref().map(|p| p.done),
        }
    }
    /// Assets that failed (render jobs).
    async fn failed_jobs(&self) -> Option<u32> {
        self.render_result().map(|r| r.failed.len() as u32)
    }
    /// 1 while the job runs, else 0.
    async fn running_jobs(&self) -> u32 {
        u32::from(self.0.status == JobStatus::Processing)
    }
    /// The current stage and how far it is.
    async fn progress(&self) -> Option<ProgressObj> {
        self.0.progress.as_ref().map(|p| ProgressObj {
            stage: p.stage.clone(),
            done: p.done,
            total: p.total,
        })
    }
    /// The job's result as in the REST record (render: rendered, skipped, failed, usage, costUsd).
    async fn result(&self) -> Option<Json<Value>> {
        object(&self.0.result)
    }
}
