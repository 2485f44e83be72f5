//! A render timed by its speech: the speech first (so the lines exist),
//! then each scene's shots get their lengths from its lines
//! ([`crate::timing::retimed`], one CAS edit), then the pictures, the
//! clips at those lengths. A shot whose lines changed after it was rendered gets a new
//! length, which makes it stale (its prompt hash covers its length); a
//! render of the lines alone writes the new lengths too, so the plan shows
//! those shots stale before their clips are rendered again.

use std::sync::Arc;

use crate::model::{AssetKind, ProgressFn, RenderRequest, RenderResult};
use crate::render::RenderConfig;
use crate::storage::{Storage, StorageExt};
use crate::timing::retime_drama;
use crate::{Error, Result};

/// Writes the lengths of the shots of every scene whose lines are all
/// rendered ([`retime_drama`]); the number of shots changed.
pub(crate) async fn retime(storage: &dyn Storage, drama_id: &str, config: &RenderConfig) -> Result<usize> {
    let Ok(renderer) = config.require(AssetKind::Video) else {
        return Ok(0);
    };
    let durations = renderer.capabilities().durations;
    // Most renders change no length: those write nothing.
    let mut now = storage.get_drama(drama_id).await?.value;
    if retime_drama(&mut now, &durations) == 0 {
        return Ok(0);
    }
    let changed = storage
        .modify_drama(drama_id, None, |d| Ok::<_, Error>(retime_drama(d, &durations)))
        .await?;
    Ok(changed.value)
}

/// Runs `request` on `drama_id` timed by its speech (see the module).
pub(crate) async fn run(
    storage: Arc<dyn Storage>,
    config: Arc<RenderConfig>,
    drama_id: &str,
    request: &RenderRequest,
    job_id: &str,
    progress: ProgressFn<'_>,
) -> Result<RenderResult> {
    let kinds = request
        .kinds
        .clone()
        .unwrap_or_else(|| vec![AssetKind::Image, AssetKind::Video, AssetKind::Audio]);
    let (has_video, has_audio) = (kinds.contains(&AssetKind::Video), kinds.contains(&AssetKind::Audio));
    if request.dry_run || !has_video || !has_audio {
        if !request.dry_run && has_video {
            retime(&*storage, drama_id, &config).await?;
        }
        let result = super::run::run(storage.clone(), config.clone(), drama_id, request, job_id, progress).await?;
        // Lines spoken again give their shots new lengths now, so the
        // plan shows those shots stale before their clips are rendered.
        if !request.dry_run && has_audio {
            retime(&*storage, drama_id, &config).await?;
        }
        return Ok(result);
    }
    // Speech needs no picture (a line's speaker is its voice, not an
    // input), so the lines go first and the pictures keep their own
    // pipeline: images and clips still overlap in the second pass.
    let first = RenderRequest {
        kinds: Some(vec![AssetKind::Audio]),
        ..request.clone()
    };
    let a = super::run::run(
        Arc::clone(&storage),
        Arc::clone(&config),
        drama_id,
        &first,
        job_id,
        progress,
    )
    .await?;
    retime(&*storage, drama_id, &config).await?;
    let second = RenderRequest {
        kinds: Some(kinds.into_iter().filter(|k| *k != AssetKind::Audio).collect()),
        ..request.clone()
    };
    let b = super::run::run(storage, config, drama_id, &second, job_id, progress).await?;
    Ok(merge(a, b))
}

/// The two passes as one result.
fn merge(a: RenderResult, b: RenderResult) -> RenderResult {
    let mut out = a;
    out.rendered.extend(b.rendered);
    out.failed.extend(b.failed);
    out.skipped.extend(b.skipped);
    let done: std::collections::HashSet<String> = out
        .rendered
        .iter()
        .map(|r| r.asset_id.clone())
        .chain(out.failed.iter().map(|f| f.asset_id.clone()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    out.skipped
        .retain(|s| !done.contains(&s.asset_id) && seen.insert(s.asset_id.clone()));
    out.usage += b.usage;
    out.cost_usd += b.cost_usd;
    out.extra_candidates += b.extra_candidates;
    out.judge_usage = match (out.judge_usage, b.judge_usage) {
        (Some(mut x), Some(y)) => {
            x += y;
            Some(x)
        }
        (x, y) => x.or(y),
    };
    out.judge_cost_usd = match (out.judge_cost_usd, b.judge_cost_usd) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    };
    out.warnings.extend(b.warnings);
    out
}
