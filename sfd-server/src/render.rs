//! Handlers of the render routes: a drama's render (or its dry-run plan),
//! one asset's render, and the old server's names for them (`generate`,
//! `audition`, `cover_photo`).

use http::StatusCode;
use serde_json::{Value, json};
use sfd_core::{
    AssetOwner, AssetRenderRequest, COVER_ID, ChooseCandidate, EntityKind, Job, RenderRequest, StorageExt, audition_id,
    portrait_id,
};

use crate::access_log::with_started_job;
use crate::dramas::job_response;
use crate::error::HttpError;
use crate::http::{self as h, Answer};
use crate::state::AppState;

fn accepted(job: &Job) -> Answer {
    Ok(with_started_job(h::json(StatusCode::ACCEPTED, &job_response(job)), job))
}

/// The `{force}` body of an asset render; an empty body is `{}`.
fn force(body: Option<Value>) -> Result<bool, HttpError> {
    match body {
        Some(b) => Ok(h::parse::<AssetRenderRequest>(b, "render request")?.force),
        None => Ok(false),
    }
}

/// `POST /dramas/{id}/render`: 202 with a `render_drama` job, or with
/// `dryRun` 200 and the plan.
pub async fn drama(state: &AppState, id: &str, body: Option<Value>) -> Answer {
    let request: RenderRequest = match body {
        Some(b) => h::parse(b, "render request")?,
        None => RenderRequest::all(),
    };
    let studio = state.studio();
    if request.dry_run {
        let plan = studio.plan_render(id, &request).await?;
        return Ok(h::json(StatusCode::OK, &plan));
    }
    accepted(&studio.start_render(id, request).await?)
}

/// `POST …/assets/{aid}/render` at every owner level.
pub async fn asset(state: &AppState, id: &str, owner: &AssetOwner, asset_id: &str, body: Option<Value>) -> Answer {
    let force = force(body)?;
    accepted(&state.studio().start_asset_render(id, owner, asset_id, force).await?)
}

/// `POST …/assets/{aid}/choose` at every owner level: keep candidate `{key}`.
pub async fn choose(state: &AppState, id: &str, owner: &AssetOwner, asset_id: &str, body: Option<Value>) -> Answer {
    let body = body.ok_or_else(|| HttpError::bad_request("the body must be {\"key\": a candidate's key}"))?;
    let chosen: ChooseCandidate = h::parse(body, "candidate choice")?;
    let asset = state
        .studio()
        .choose_candidate(id, owner, asset_id, &chosen.key)
        .await?;
    Ok(h::json(StatusCode::OK, &asset.value))
}

/// `POST /dramas/{id}/generate`: the old server's name for rendering the whole drama.
pub async fn drama_alias(state: &AppState, id: &str, body: Option<Value>) -> Answer {
    let request = RenderRequest {
        force: force(body)?,
        ..RenderRequest::all()
    };
    accepted(&state.studio().start_render(id, request).await?)
}

/// `POST /dramas/{id}/episodes/{eid}/generate`: rendering one episode.
pub async fn episode_alias(state: &AppState, id: &str, episode_id: &str, body: Option<Value>) -> Answer {
    let force = force(body)?;
    let drama = state.studio().storage().get_drama(id).await?.value;
    if drama.episode(episode_id).is_none() {
        return Err(HttpError::not_found(EntityKind::Episode, episode_id));
    }
    let request = RenderRequest {
        episodes: Some(vec![episode_id.to_string()]),
        force,
        ..RenderRequest::all()
    };
    accepted(&state.studio().start_render(id, request).await?)
}

/// `POST /dramas/{id}/characters/{cid}/generate`: rendering the portrait
/// (`{cid}-portrait`, added when missing).
pub async fn character_alias(state: &AppState, id: &str, character_id: &str, body: Option<Value>) -> Answer {
    let force = force(body)?;
    let drama = state.studio().storage().get_drama(id).await?.value;
    if drama.character(character_id).is_none() {
        return Err(HttpError::not_found(EntityKind::Character, character_id));
    }
    let owner = AssetOwner::Character(character_id.to_string());
    let job = state
        .studio()
        .start_asset_render(id, &owner, &portrait_id(character_id), force)
        .await?;
    accepted(&job)
}

/// `POST /dramas/{id}/characters/{cid}/audition` queues the audition clip.
pub async fn audition(state: &AppState, id: &str, character_id: &str, body: Option<Value>) -> Answer {
    let force = force(body)?;
    accepted(&state.studio().start_audition(id, character_id, force).await?)
}

/// `GET /dramas/{id}/characters/{cid}/audition`: the audition asset once rendered.
pub async fn get_audition(state: &AppState, id: &str, character_id: &str) -> Answer {
    let drama = state.studio().storage().get_drama(id).await?.value;
    let character = drama
        .character(character_id)
        .ok_or_else(|| HttpError::not_found(EntityKind::Character, character_id))?;
    let wanted = audition_id(character_id);
    match character.assets.iter().find(|a| a.id == wanted && a.url.is_some()) {
        Some(asset) => Ok(h::json(StatusCode::OK, asset)),
        None => Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("character '{character_id}' has no rendered audition yet; POST to this route to render one"),
        )),
    }
}

/// `POST /dramas/{id}/cover_photo` queues the cover.
pub async fn cover(state: &AppState, id: &str, body: Option<Value>) -> Answer {
    let force = force(body)?;
    accepted(&state.studio().start_cover(id, force).await?)
}

/// `GET /dramas/{id}/cover_photo`: `{url}` once the cover is rendered.
pub async fn get_cover(state: &AppState, id: &str) -> Answer {
    let drama = state.studio().storage().get_drama(id).await?.value;
    match drama
        .assets
        .iter()
        .find(|a| a.id == COVER_ID)
        .and_then(|a| a.url.as_ref())
    {
        Some(url) => Ok(h::json(StatusCode::OK, &json!({ "url": url }))),
        None => Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("drama '{id}' has no rendered cover yet; POST to this route to render one"),
        )),
    }
}
