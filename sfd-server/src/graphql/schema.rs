//! The GraphQL roots: the old server's queries (`drama`, `dramas`,
//! `dramaSummaries`, `job`, `jobs`, `coverPhoto`) and mutations
//! (`generateCharacterImage`, `generateCoverPhoto`), and sfd's mutations that
//! start jobs through the [`sfd_core::Studio`] and answer the job.

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Json, Object, Result, Schema};
use serde_json::Value;
use sfd_core::{AssembleRequest, AssetOwner, EntityKind, GenerationRequest, ListOptions, StorageExt, portrait_id};

use super::types::{CharacterObj, DramaObj, JobObj, SummaryObj, cover_url, parse_status};
use super::{gql, state};
use crate::doors::{RenderSelection, check_drama_id, find_job, require_owner};

/// The deepest query answered. The deepest field of the schema is 6 levels
/// down; GraphiQL's introspection query reaches 13.
pub(crate) const MAX_DEPTH: usize = 15;
/// The most fields one query may select.
pub(crate) const MAX_COMPLEXITY: usize = 2000;

/// The schema served at `/graphql`.
pub(crate) type SfdSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with its depth and complexity limits.
pub(crate) fn build() -> SfdSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

fn limit(limit: Option<i32>) -> Result<usize> {
    let n = limit.unwrap_or(100);
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| {
            gql(crate::HttpError::bad_request(format!(
                "limit must be a whole number from 1 to 1000, got '{n}'"
            )))
        })
}

/// `None` for a drama that is not there (the old server's answer), the error otherwise.
fn found<T>(r: sfd_core::Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(sfd_core::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

async fn drama(ctx: &Context<'_>, id: &str) -> Result<Arc<sfd_core::Drama>> {
    let d = state(ctx)?.studio().storage().get_drama(id).await.map_err(gql)?;
    Ok(Arc::new(d.value))
}

/// The queries.
pub(crate) struct QueryRoot;

#[Object]
impl QueryRoot {
    /// A drama by id; null when there is none.
    async fn drama(&self, ctx: &Context<'_>, id: String) -> Result<Option<DramaObj>> {
        let got = found(state(ctx)?.studio().storage().get_drama(&id).await)?;
        Ok(got.map(|v| DramaObj {
            drama: Arc::new(v.value),
            job: None,
        }))
    }

    /// Whole dramas in ascending id order (`limit` 1–1000, default 100;
    /// `cursor` from `GET /dramas` for the next page).
    async fn dramas(&self, ctx: &Context<'_>, limit: Option<i32>, cursor: Option<String>) -> Result<Vec<DramaObj>> {
        let opts = ListOptions {
            limit: self::limit(limit)?,
            cursor,
        };
        let page = state(ctx)?
            .studio()
            .storage()
            .list_dramas_full(&opts)
            .await
            .map_err(gql)?;
        Ok(page
            .dramas
            .into_iter()
            .map(|d| DramaObj {
                drama: Arc::new(d),
                job: None,
            })
            .collect())
    }

    /// Drama summaries (no episodes), fast, in ascending id order.
    async fn drama_summaries(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<Vec<SummaryObj>> {
        let opts = ListOptions {
            limit: self::limit(limit)?,
            cursor,
        };
        let page = state(ctx)?.studio().storage().list_dramas(&opts).await.map_err(gql)?;
        Ok(page.dramas.into_iter().map(SummaryObj::from).collect())
    }

    /// A job by id; null when there is none. With `dramaId` it is one read;
    /// without, the job records are searched.
    async fn job(&self, ctx: &Context<'_>, id: String, drama_id: Option<String>) -> Result<Option<JobObj>> {
        let studio = state(ctx)?.studio();
        let job = match drama_id {
            Some(d) => found(studio.jobs().get(&d, &id).await)?,
            None => find_job(&**studio.storage(), &id).await.map_err(gql)?,
        };
        Ok(job.map(JobObj))
    }

    /// The jobs of a drama, oldest first, optionally of one status.
    async fn jobs(&self, ctx: &Context<'_>, drama_id: String, status: Option<String>) -> Result<Vec<JobObj>> {
        let status = status.as_deref().map(parse_status).transpose()?;
        let studio = state(ctx)?.studio();
        let jobs = studio.jobs().list(&drama_id).await.map_err(gql)?;
        if jobs.is_empty() {
            // As on REST: a drama with no jobs must exist.
            studio.storage().get_drama_bytes(&drama_id).await.map_err(gql)?;
        }
        Ok(jobs
            .into_iter()
            .filter(|j| status.is_none_or(|s| j.status == s))
            .map(JobObj)
            .collect())
    }

    /// The drama's cover URL; null until it is rendered.
    async fn cover_photo(&self, ctx: &Context<'_>, drama_id: String) -> Result<Option<String>> {
        let d = drama(ctx, &drama_id).await?;
        Ok(cover_url(&d).map(str::to_string))
    }

    /// What rendering would do and cost (the REST `dryRun` plan): nothing is called or written.
    async fn render_plan(
        &self,
        ctx: &Context<'_>,
        drama_id: String,
        selection: Option<RenderSelection>,
    ) -> Result<Json<Value>> {
        let request = selection.unwrap_or_default().request();
        let plan = state(ctx)?
            .studio()
            .plan_render(&drama_id, &request)
            .await
            .map_err(gql)?;
        Ok(Json(serde_json::to_value(plan).unwrap_or(Value::Null)))
    }
}

/// The mutations; each starts a job and answers it.
pub(crate) struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Starts rendering a character's portrait; answers the character as it
    /// is now, with the job in `job` (its `url` is set when the job completes).
    async fn generate_character_image(
        &self,
        ctx: &Context<'_>,
        drama_id: String,
        character_id: String,
        #[graphql(default)] force: bool,
    ) -> Result<CharacterObj> {
        let d = drama(ctx, &drama_id).await?;
        let index = d
            .characters
            .iter()
            .position(|c| c.id == character_id)
            .ok_or_else(|| gql(crate::HttpError::not_found(EntityKind::Character, &character_id)))?;
        let owner = AssetOwner::Character(character_id.clone());
        let job = state(ctx)?
            .studio()
            .start_asset_render(&drama_id, &owner, &portrait_id(&character_id), force)
            .await
            .map_err(gql)?;
        Ok(CharacterObj {
            drama: d,
            index,
            job: Some(job),
        })
    }

    /// Starts rendering the drama's cover from the main characters'
    /// portraits; answers the drama as it is now, with the job in `job`.
    async fn generate_cover_photo(
        &self,
        ctx: &Context<'_>,
        drama_id: String,
        #[graphql(default)] force: bool,
    ) -> Result<DramaObj> {
        let studio = state(ctx)?.studio();
        let job = studio.start_cover(&drama_id, force).await.map_err(gql)?;
        Ok(DramaObj {
            drama: drama(ctx, &drama_id).await?,
            job: Some(job),
        })
    }

    /// Generates a new drama from a premise; the job is listed under its id.
    async fn create_drama(
        &self,
        ctx: &Context<'_>,
        premise: String,
        id: Option<String>,
        model: Option<String>,
    ) -> Result<JobObj> {
        let req: GenerationRequest = serde_json::from_value(serde_json::json!({
            "premise": premise, "id": id, "model": model,
        }))
        .map_err(|e| gql(crate::HttpError::unprocessable(format!("generation request: {e}"))))?;
        let job = state(ctx)?.studio().start_generation(req).await.map_err(gql)?;
        Ok(JobObj(job))
    }

    /// Renders the selected assets of a drama in `depends_on` order.
    async fn render_drama(
        &self,
        ctx: &Context<'_>,
        drama_id: String,
        selection: Option<RenderSelection>,
    ) -> Result<JobObj> {
        let request = selection.unwrap_or_default().request();
        let job = state(ctx)?
            .studio()
            .start_render(&drama_id, request)
            .await
            .map_err(gql)?;
        Ok(JobObj(job))
    }

    /// Renders one asset, wherever it hangs (and what it needs first).
    async fn render_asset(
        &self,
        ctx: &Context<'_>,
        drama_id: String,
        asset_id: String,
        #[graphql(default)] force: bool,
    ) -> Result<JobObj> {
        let d = drama(ctx, &drama_id).await?;
        let owner = require_owner(&d, &asset_id).map_err(gql)?;
        let job = state(ctx)?
            .studio()
            .start_asset_render(&drama_id, &owner, &asset_id, force)
            .await
            .map_err(gql)?;
        Ok(JobObj(job))
    }

    /// Stitches an episode's scenes into one vertical MP4.
    async fn assemble_episode(&self, ctx: &Context<'_>, drama_id: String, episode_id: String) -> Result<JobObj> {
        check_drama_id(&drama_id).map_err(gql)?;
        let job = state(ctx)?
            .studio()
            .start_assembly(&drama_id, &episode_id, AssembleRequest::default())
            .await
            .map_err(gql)?;
        Ok(JobObj(job))
    }

    /// Cancels a pending or running job; a finished job answers unchanged.
    async fn cancel_job(&self, ctx: &Context<'_>, drama_id: String, job_id: String) -> Result<JobObj> {
        let job = state(ctx)?
            .studio()
            .jobs()
            .cancel(&drama_id, &job_id)
            .await
            .map_err(gql)?;
        Ok(JobObj(job))
    }
}
