//! Rendering on the wire: the request, the plan, the job result and the
//! `metadata.render` record an asset keeps (camelCase, serde only).

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Asset, AssetKind, AssetOwner, Object};

/// The key of [`RenderRecord`] in an asset's `metadata`.
pub const RENDER_METADATA: &str = "render";

/// Body of `POST /dramas/{id}/render`; the empty request renders everything.
///
/// `episodes`, `characters` and `assets` select assets (their union; all
/// when none is given), and `kinds` keeps only those kinds. An asset whose
/// dependency has never been rendered brings that dependency along.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderRequest {
    /// The assets of these episodes and of their scenes.
    #[serde(default)]
    pub episodes: Option<Vec<String>>,
    /// The assets of these characters (their portraits).
    #[serde(default)]
    pub characters: Option<Vec<String>>,
    /// These assets.
    #[serde(default)]
    pub assets: Option<Vec<String>>,
    /// Only these kinds.
    #[serde(default)]
    pub kinds: Option<Vec<AssetKind>>,
    /// Render selected assets even when they are up to date.
    #[serde(default)]
    pub force: bool,
    /// Only plan: call nothing, write nothing, answer the [`RenderPlan`].
    #[serde(default)]
    pub dry_run: bool,
    /// Candidates per image, the judge keeps the best (default
    /// `SFD_RENDER_CANDIDATES`, else 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<u32>,
}

impl RenderRequest {
    /// Everything in the drama.
    pub fn all() -> Self {
        Self::default()
    }

    /// One asset (and what it needs that was never rendered).
    pub fn asset(id: impl Into<String>, force: bool) -> Self {
        RenderRequest {
            assets: Some(vec![id.into()]),
            force,
            ..Default::default()
        }
    }
}

/// Body of `POST …/assets/{aid}/render`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRenderRequest {
    /// Render it even when it is up to date.
    #[serde(default)]
    pub force: bool,
}

/// What a render will do with one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanAction {
    /// Never rendered (or forced): it will be rendered.
    Render,
    /// Rendered and up to date: left alone.
    Skip,
    /// Rendered, but its prompt or an input changed since: it will be rendered again.
    Stale,
    /// It cannot be rendered: a dependency cannot be, or no file can be read for one.
    Blocked,
}

impl PlanAction {
    /// True for the actions that call a provider.
    pub fn renders(self) -> bool {
        matches!(self, PlanAction::Render | PlanAction::Stale)
    }
}

/// What a render sends a provider for one node, as the plan shows it:
/// fitted to what the provider accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSent {
    /// Seconds asked of the provider (videos), after snapping.
    pub duration_seconds: Option<u32>,
    /// The frame asked for.
    pub aspect_ratio: String,
    /// The inputs sent, in order.
    pub references: Vec<String>,
    /// What each input is sent as (parallel to `references`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ReferenceRole>,
    /// What was changed to fit the provider, in words.
    pub notes: Vec<String>,
}

/// What a provider is asked to do with one input image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceRole {
    /// The clip starts on it.
    FirstFrame,
    /// The clip ends on it (a video's `metadata.last_frame`).
    LastFrame,
    /// A look to keep (a character, a place), not a frame of the result.
    Reference,
}

/// One asset of a [`RenderPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanNode {
    /// The asset.
    pub asset_id: String,
    /// Where it lives, as a path under the drama: `drama`, `characters/{cid}`,
    /// `episodes/{eid}` or `episodes/{eid}/scenes/{sid}`.
    pub owner: String,
    /// What it renders to.
    pub kind: AssetKind,
    /// The assets whose files it takes as inputs (a character id resolved to
    /// its portrait).
    pub depends_on: Vec<String>,
    /// 0 for assets without inputs, otherwise one more than its deepest input.
    pub level: u32,
    /// What the render does with it.
    pub action: PlanAction,
    /// Why, in words.
    #[serde(default)]
    pub reason: Option<String>,
    /// The price of rendering it (0 when skipped or the model has no price).
    pub estimated_cost_usd: f64,
    /// What will be sent to the provider, when it renders.
    #[serde(default)]
    pub sent: Option<PlanSent>,
    /// Best-of-N, when this image renders several candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<super::PlanCandidates>,
}

/// What a render would do, computed without calling or writing anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderPlan {
    /// The selected assets and what they need, in topological order (by level).
    pub nodes: Vec<PlanNode>,
    /// How many levels the nodes span.
    pub levels: u32,
    /// The sum of the nodes' estimates.
    pub estimated_cost_usd: f64,
}

impl RenderPlan {
    /// The node of `asset_id`.
    pub fn node(&self, asset_id: &str) -> Option<&PlanNode> {
        self.nodes.iter().find(|n| n.asset_id == asset_id)
    }

    /// The nodes that will call a provider.
    pub fn to_render(&self) -> impl Iterator<Item = &PlanNode> {
        self.nodes.iter().filter(|n| n.action.renders())
    }
}

/// What rendering spent: calls, images, seconds of video or speech, input
/// characters and tokens, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MediaUsage {
    /// Provider calls that produced a file.
    pub calls: u32,
    /// Images made.
    pub images: u32,
    /// Seconds of video or speech made.
    pub seconds: f64,
    /// Characters of text spoken.
    pub characters: u64,
    /// Input tokens (token-priced image models).
    pub input_tokens: u64,
    /// Output tokens (token-priced image models).
    pub output_tokens: u64,
}

impl AddAssign for MediaUsage {
    fn add_assign(&mut self, o: MediaUsage) {
        self.calls += o.calls;
        self.images += o.images;
        self.seconds += o.seconds;
        self.characters += o.characters;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
    }
}

/// `metadata.render` of a rendered (or uploaded) asset: how its file was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderRecord {
    /// The provider (`openai-images`, `chat-image`, `videos`, `speech`, `simulated`, `upload`).
    pub provider: String,
    /// The model.
    pub model: String,
    /// Hash of what was asked (prompt, duration, aspect ratio).
    pub prompt_hash: String,
    /// Hash of the inputs (dependency files, voice).
    pub inputs_hash: String,
    /// Size of the file.
    pub bytes: u64,
    /// Its media type.
    pub content_type: String,
    /// When it was rendered, in ms since the epoch.
    pub rendered_at: u64,
    /// What the provider reported spending.
    #[serde(default)]
    pub usage: MediaUsage,
    /// What that cost, from the price table.
    #[serde(default)]
    pub cost_usd: f64,
    /// The media key of the file.
    #[serde(default)]
    pub key: Option<String>,
    /// The job that rendered it.
    #[serde(default)]
    pub job_id: Option<String>,
}

impl RenderRecord {
    /// The record stored in `asset.metadata.render`, if there is a readable one.
    pub fn of(asset: &Asset) -> Option<RenderRecord> {
        let v = asset.metadata.as_ref()?.get(RENDER_METADATA)?;
        serde_json::from_value(v.clone()).ok()
    }

    /// Stores `self` as `asset.metadata.render`, keeping the other metadata.
    pub fn store(&self, asset: &mut Asset) {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        asset
            .metadata
            .get_or_insert_with(Object::new)
            .insert(RENDER_METADATA.into(), v);
    }
}

/// One rendered asset in a [`RenderResult`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedAsset {
    /// The asset.
    pub asset_id: String,
    /// Its new URL.
    pub url: String,
    /// What its call spent.
    pub usage: MediaUsage,
    /// What that cost.
    pub cost_usd: f64,
}

/// An asset a render left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedAsset {
    /// The asset.
    pub asset_id: String,
    /// Why: up to date, blocked, or a dependency failed.
    pub reason: String,
}

/// An asset that failed to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAsset {
    /// The asset.
    pub asset_id: String,
    /// What went wrong.
    pub error: String,
}

/// The `result` of a `render_drama` (or `generate_image|video|audio`) job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderResult {
    /// The drama.
    pub drama_id: String,
    /// What was rendered, in the order it finished.
    pub rendered: Vec<RenderedAsset>,
    /// What was left alone.
    pub skipped: Vec<SkippedAsset>,
    /// What failed; the job is `failed` when this is not empty.
    pub failed: Vec<FailedAsset>,
    /// Total spent.
    pub usage: MediaUsage,
    /// Total cost (candidates and judge calls included).
    pub cost_usd: f64,
    /// Candidate images made beyond one per rendered image (best-of-N).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extra_candidates: u32,
    /// What the judge's calls spent (best-of-N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_usage: Option<MediaUsage>,
    /// What they cost (included in `costUsd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_cost_usd: Option<f64>,
    /// Images kept although no candidate reached the judge's threshold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SkippedAsset>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What [`crate::Studio::collect_media`] found (and, unless a dry run, deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectedMedia {
    /// True when nothing was deleted.
    pub dry_run: bool,
    /// The keys of the files no document points at (and upload leftovers).
    pub files: Vec<String>,
    /// Their total size.
    pub bytes: u64,
    /// How many files are still in use.
    pub kept: u64,
}

/// What [`crate::model::AssetOwner`] paths look like in plans: `drama`,
/// `characters/{cid}`, `episodes/{eid}`, `episodes/{eid}/scenes/{sid}`.
impl AssetOwner {
    /// The owner as a path under the drama (see [`PlanNode::owner`]).
    pub fn to_path(&self) -> String {
        match self {
            AssetOwner::Drama => "drama".to_string(),
            AssetOwner::Character(c) => format!("characters/{c}"),
            AssetOwner::Episode(e) => format!("episodes/{e}"),
            AssetOwner::Scene { episode, scene } => format!("episodes/{episode}/scenes/{scene}"),
        }
    }

    /// Reads a path made by [`AssetOwner::to_path`].
    pub fn from_path(path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["drama"] => Some(AssetOwner::Drama),
            ["characters", c] => Some(AssetOwner::Character(c.to_string())),
            ["episodes", e] => Some(AssetOwner::Episode(e.to_string())),
            ["episodes", e, "scenes", s] => Some(AssetOwner::scene(*e, *s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_is_camel_case_and_empty_means_everything() {
        let r: RenderRequest = serde_json::from_value(json!({})).unwrap();
        assert_eq!(r, RenderRequest::all());
        let r: RenderRequest =
            serde_json::from_value(json!({"kinds": ["image"], "dryRun": true, "force": true})).unwrap();
        assert!(r.dry_run && r.force);
        assert_eq!(r.kinds, Some(vec![AssetKind::Image]));
    }

    #[test]
    fn records_live_in_metadata_next_to_other_keys() {
        let mut a = Asset::new("a", AssetKind::Image, "p");
        a.metadata = Some(json!({"mine": 1}).as_object().cloned().unwrap());
        assert_eq!(RenderRecord::of(&a), None);
        let rec = RenderRecord {
            provider: "simulated".into(),
            model: "m".into(),
            prompt_hash: "p".into(),
            inputs_hash: "i".into(),
            bytes: 3,
            content_type: "image/png".into(),
            rendered_at: 1,
            usage: MediaUsage::default(),
            cost_usd: 0.5,
            key: None,
            job_id: Some("job_1".into()),
        };
        rec.store(&mut a);
        let meta = a.metadata.as_ref().unwrap();
        assert_eq!(meta["mine"], 1);
        assert_eq!(meta["render"]["promptHash"], "p");
        assert_eq!(meta["render"]["costUsd"], 0.5);
        assert_eq!(RenderRecord::of(&a), Some(rec));
    }

    #[test]
    fn owner_paths_round_trip() {
        for o in [
            AssetOwner::Drama,
            AssetOwner::Character("c".into()),
            AssetOwner::Episode("e".into()),
            AssetOwner::scene("e", "s"),
        ] {
            assert_eq!(AssetOwner::from_path(&o.to_path()), Some(o));
        }
        assert_eq!(AssetOwner::from_path("nope/x"), None);
    }
}
