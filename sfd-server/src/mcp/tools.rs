//! The MCP tools: what an agent can do with sfd, each a call on the
//! [`sfd_core::Studio`] that REST makes too, with a JSON schema for its
//! arguments. A tool that fails answers `isError` with REST's message.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use sfd_core::{
    AssembleRequest, Asset, AssetOwner, Character, EditExt, Episode, ExportFormat, GenerationRequest, ListOptions,
    Patch, Scene, StorageExt,
};

use crate::doors::{RenderSelection, require_owner};
use crate::error::HttpError;
use crate::state::AppState;

/// The server behind both MCP transports.
#[derive(Clone)]
pub(crate) struct SfdMcp {
    pub(super) state: AppState,
    tool_router: ToolRouter<Self>,
}

/// A tool's answer (an HTTP route's is `crate::http::Answer`).
type ToolAnswer = Result<CallToolResult, ErrorData>;

/// A tool's answer: the value as JSON text and as structured content.
fn ok(value: impl serde::Serialize) -> ToolAnswer {
    let value = serde_json::to_value(value).unwrap_or(Value::Null);
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
    if value.is_object() {
        r.structured_content = Some(value);
    }
    Ok(r)
}

/// A failed tool call: REST's status, title and message, for the agent to read.
fn failed(e: impl Into<HttpError>) -> ToolAnswer {
    let e: HttpError = e.into();
    let text = format!(
        "{} ({} {}): {}",
        e.error,
        e.status.as_u16(),
        e.status.canonical_reason().unwrap_or(""),
        e.message
    );
    Ok(CallToolResult::error(vec![ContentBlock::text(text)]))
}

/// `ok` for `Ok`, `failed` for `Err`.
fn answer<T: serde::Serialize, E: Into<HttpError>>(r: Result<T, E>) -> ToolAnswer {
    match r {
        Ok(v) => ok(v),
        Err(e) => failed(e),
    }
}

/// A drama.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DramaRef {
    /// The drama id, e.g. `drama_abc123def456`.
    drama_id: String,
}

/// A job of a drama.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobRef {
    /// The drama the job belongs to.
    drama_id: String,
    /// The job id, `job_…`.
    job_id: String,
}

/// A new drama from a premise.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateDrama {
    /// What the drama is about, in a sentence or a paragraph.
    premise: String,
    /// An id of your own (`[A-Za-z0-9_-]`, 1–128); the server makes one otherwise.
    id: Option<String>,
    /// The LLM model; the server's default otherwise.
    model: Option<String>,
    /// How many episodes.
    episodes: Option<u32>,
    /// How many scenes in each episode.
    scenes_per_episode: Option<u32>,
}

/// A page of dramas.
#[derive(Deserialize, JsonSchema)]
pub(crate) struct ListDramas {
    /// 1–1000, default 100.
    limit: Option<usize>,
    /// The `cursor` of the previous page.
    cursor: Option<String>,
}

/// Which entity to patch and how.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatchEntity {
    /// The drama.
    drama_id: String,
    /// What to patch: `drama`, `character`, `episode`, `scene` or `asset`.
    level: Level,
    /// The character, episode, scene (with `episodeId`) or asset id; not for `drama`.
    id: Option<String>,
    /// The scene's episode (for `scene`).
    episode_id: Option<String>,
    /// The fields to change, as REST's PATCH body: e.g. `{"title": …}` for a
    /// drama, `{"description": …}` for a scene, `{"prompt": …}` for an asset.
    patch: serde_json::Map<String, Value>,
}

/// A level of the drama document.
#[derive(Deserialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    /// The drama's head: title, description, premise, metadata.
    Drama,
    /// A character.
    Character,
    /// An episode.
    Episode,
    /// A scene.
    Scene,
    /// An asset (image, video or audio prompt), wherever it hangs.
    Asset,
}

/// A render of a drama's selected assets.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Render {
    /// The drama.
    drama_id: String,
    /// Which assets: their union, every asset when none is given.
    #[serde(flatten)]
    selection: RenderSelection,
}

/// One episode to cut.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Assemble {
    /// The drama.
    drama_id: String,
    /// The episode.
    episode_id: String,
    /// Subtitles and audio; the defaults are a subtitle track and speech.
    #[serde(default)]
    options: Option<Value>,
}

/// A text export.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExportText {
    /// The drama.
    drama_id: String,
    /// `fountain` (the screenplay), `srt` (one episode's subtitles) or `csv` (the shot list).
    format: String,
    /// The episode (needed for `srt`).
    episode_id: Option<String>,
}

/// A job to wait for.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WaitJob {
    /// The drama the job belongs to.
    drama_id: String,
    /// The job id.
    job_id: String,
    /// How long to wait at most, 1–600 s (default 60); the job as it is then if still running.
    timeout_seconds: Option<u64>,
}

/// The largest text export a tool answers.
const EXPORT_LIMIT: usize = 8 * 1024 * 1024;

fn patch_of<P: Patch>(v: serde_json::Map<String, Value>) -> Result<P, HttpError> {
    P::from_value(Value::Object(v)).map_err(|p| HttpError::unprocessable(p.to_string()))
}

fn need(id: Option<String>, what: &str) -> Result<String, HttpError> {
    id.ok_or_else(|| HttpError::unprocessable(format!("'{what}' is required for this level")))
}

#[tool_router]
impl SfdMcp {
    pub(crate) fn new(state: AppState) -> Self {
        SfdMcp {
            state,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Generate a new drama from a premise with the LLM. Starts a generate_drama job and answers it; wait for it with wait_for_job, then read the drama with get_drama."
    )]
    async fn create_drama(&self, Parameters(p): Parameters<CreateDrama>) -> ToolAnswer {
        let mut req = GenerationRequest::new(p.premise);
        req.id = p.id;
        req.model = p.model;
        req.episodes = p.episodes;
        req.scenes_per_episode = p.scenes_per_episode;
        answer(self.state.studio().start_generation(req).await)
    }

    #[tool(
        description = "Get a whole drama: characters, episodes, scenes and their image/video/audio assets with URLs and render metadata."
    )]
    async fn get_drama(&self, Parameters(p): Parameters<DramaRef>) -> ToolAnswer {
        answer(
            self.state
                .studio()
                .storage()
                .get_drama(&p.drama_id)
                .await
                .map(|v| v.value),
        )
    }

    #[tool(
        description = "List dramas (id, title, description, premise), a page at a time in id order; pass the answer's cursor for the next page."
    )]
    async fn list_dramas(&self, Parameters(p): Parameters<ListDramas>) -> ToolAnswer {
        let limit = p.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return failed(HttpError::bad_request(format!(
                "limit must be a whole number from 1 to 1000, got '{limit}'"
            )));
        }
        let opts = ListOptions {
            limit,
            cursor: p.cursor.filter(|c| !c.is_empty()),
        };
        answer(self.state.studio().storage().list_dramas(&opts).await)
    }

    #[tool(
        description = "Change fields of the drama or of one nested entity (character, episode, scene, asset) without touching the rest; answers the entity as stored. Concurrent edits of other parts are kept."
    )]
    async fn patch_entity(&self, Parameters(p): Parameters<PatchEntity>) -> ToolAnswer {
        match self.patch(p).await {
            Ok(v) => ok(v),
            Err(e) => failed(e),
        }
    }

    #[tool(
        description = "Plan a render without doing it: every selected asset with its action (render, skip, stale, blocked), order and estimated cost in USD."
    )]
    async fn plan_render(&self, Parameters(p): Parameters<Render>) -> ToolAnswer {
        let (drama_id, request) = (p.drama_id, p.selection.request());
        answer(self.state.studio().plan_render(&drama_id, &request).await)
    }

    #[tool(
        description = "Render the selected assets (images, videos, speech) in dependency order: starts a render_drama job and answers {job, plan, estimatedCostUsd}. Wait with wait_for_job; the job result holds what was rendered and the cost."
    )]
    async fn start_render(&self, Parameters(p): Parameters<Render>) -> ToolAnswer {
        let (drama_id, request) = (p.drama_id, p.selection.request());
        let studio = self.state.studio();
        let plan = match studio.plan_render(&drama_id, &request).await {
            Ok(plan) => plan,
            Err(e) => return failed(e),
        };
        match studio.start_render(&drama_id, request).await {
            Ok(job) => ok(json!({"job": job, "estimatedCostUsd": plan.estimated_cost_usd, "plan": plan})),
            Err(e) => failed(e),
        }
    }

    #[tool(
        description = "Cut an episode: its scenes' clips (or stills), speech and subtitles stitched into one vertical MP4. Starts an assemble_episode job; the episode's url is set when it completes."
    )]
    async fn assemble_episode(&self, Parameters(p): Parameters<Assemble>) -> ToolAnswer {
        let request: AssembleRequest = match p.options {
            Some(v) => match serde_json::from_value(v) {
                Ok(r) => r,
                Err(e) => return failed(HttpError::unprocessable(format!("options: {e}"))),
            },
            None => AssembleRequest::default(),
        };
        answer(
            self.state
                .studio()
                .start_assembly(&p.drama_id, &p.episode_id, request)
                .await,
        )
    }

    #[tool(
        description = "Export a drama as text: the screenplay (fountain), one episode's subtitles (srt, needs episodeId) or the shot list (csv). For the zip of every file use GET /dramas/{id}/export?format=zip."
    )]
    async fn export(&self, Parameters(p): Parameters<ExportText>) -> ToolAnswer {
        let format = match p.format.as_str() {
            "fountain" => ExportFormat::Fountain,
            "srt" => ExportFormat::Srt,
            "csv" => ExportFormat::Csv,
            other => {
                return failed(HttpError::bad_request(format!(
                    "format must be fountain, srt or csv, got '{other}'"
                )));
            }
        };
        let export = match self
            .state
            .studio()
            .export(&p.drama_id, format, p.episode_id.as_deref())
            .await
        {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let bytes = match super::collect(export.body, EXPORT_LIMIT).await {
            Ok(b) => b,
            Err(e) => return failed(e),
        };
        Ok(CallToolResult::success(vec![ContentBlock::text(
            String::from_utf8_lossy(&bytes).into_owned(),
        )]))
    }

    #[tool(
        description = "Get a job: status (pending, processing, completed, failed, cancelled), progress, error and result."
    )]
    async fn get_job(&self, Parameters(p): Parameters<JobRef>) -> ToolAnswer {
        answer(self.state.studio().jobs().get(&p.drama_id, &p.job_id).await)
    }

    #[tool(
        description = "Wait until a job ends (completed, failed or cancelled) and answer it; after timeoutSeconds (default 60) answer it as it is."
    )]
    async fn wait_for_job(&self, Parameters(p): Parameters<WaitJob>) -> ToolAnswer {
        let secs = p.timeout_seconds.unwrap_or(60).clamp(1, 600);
        let jobs = self.state.studio().jobs();
        let waited =
            tokio::time::timeout(std::time::Duration::from_secs(secs), jobs.wait(&p.drama_id, &p.job_id)).await;
        match waited {
            Ok(r) => answer(r),
            Err(_) => answer(jobs.get(&p.drama_id, &p.job_id).await),
        }
    }

    #[tool(description = "Cancel a pending or running job; a finished job is answered unchanged.")]
    async fn cancel_job(&self, Parameters(p): Parameters<JobRef>) -> ToolAnswer {
        answer(self.state.studio().jobs().cancel(&p.drama_id, &p.job_id).await)
    }
}

impl SfdMcp {
    /// The tools, for the handler.
    pub(super) fn tools(&self) -> &ToolRouter<Self> {
        &self.tool_router
    }

    async fn patch(&self, p: PatchEntity) -> Result<Value, HttpError> {
        let s = &**self.state.studio().storage();
        let d = p.drama_id.as_str();
        Ok(match p.level {
            Level::Drama => to(&s.update_drama(d, patch_of(p.patch)?, None).await?.value),
            Level::Character => {
                let id = need(p.id, "id")?;
                to(&s
                    .update_member::<Character>(d, (), &id, patch_of(p.patch)?, None)
                    .await?
                    .value)
            }
            Level::Episode => {
                let id = need(p.id, "id")?;
                to(&s
                    .update_member::<Episode>(d, (), &id, patch_of(p.patch)?, None)
                    .await?
                    .value)
            }
            Level::Scene => {
                let (ep, id) = (need(p.episode_id, "episodeId")?, need(p.id, "id")?);
                to(&s
                    .update_member::<Scene>(d, ep, &id, patch_of(p.patch)?, None)
                    .await?
                    .value)
            }
            Level::Asset => {
                let id = need(p.id, "id")?;
                let drama = s.get_drama(d).await?.value;
                let owner: AssetOwner = require_owner(&drama, &id)?;
                to(&s
                    .update_member::<Asset>(d, owner, &id, patch_of(p.patch)?, None)
                    .await?
                    .value)
            }
        })
    }
}

fn to<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
