//! Best-of-N on the wire: the candidates a render made of one image, with
//! the judge's scores, kept in `metadata.render.candidates` so a user can
//! pick another later (camelCase, serde only).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Asset, MediaUsage, RENDER_METADATA};

/// One candidate image of a best-of-N render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// Its media key.
    pub key: String,
    /// Its URL.
    pub url: String,
    /// The judge's score, from 0 to 1.
    pub score: f64,
    /// The judge's reason.
    pub reason: String,
}

/// The candidates of one asset, as `metadata.render` keeps them beside its
/// [`super::RenderRecord`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidates {
    /// Every candidate, the kept one included, in the order made.
    pub candidates: Vec<Candidate>,
    /// Set when no candidate reached the judge's threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// What the judge's calls spent.
    #[serde(default)]
    pub judge_usage: MediaUsage,
    /// What they cost (included in `metadata.render.costUsd`).
    #[serde(default)]
    pub judge_cost_usd: f64,
}

impl Candidates {
    /// The candidates `asset` keeps, when it was rendered as best-of-N.
    pub fn of(asset: &Asset) -> Option<Candidates> {
        let render = asset.metadata.as_ref()?.get(RENDER_METADATA)?;
        render.get("candidates")?;
        serde_json::from_value(render.clone()).ok()
    }

    /// Stores `self` inside `asset.metadata.render` (after its record).
    pub fn store(&self, asset: &mut Asset) {
        let Some(Value::Object(render)) = asset.metadata.as_mut().and_then(|m| m.get_mut(RENDER_METADATA)) else {
            return;
        };
        if let Ok(Value::Object(mine)) = serde_json::to_value(self) {
            render.extend(mine);
        }
    }
}

/// Best-of-N in a plan node: how many candidates, and the judge's estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanCandidates {
    /// Candidates made per round.
    pub count: u32,
    /// The judge's model.
    pub judge: String,
    /// What judging them is estimated to cost (included in the node's estimate).
    pub judge_cost_usd: f64,
}

/// Body of `POST …/assets/{aid}/choose`: the candidate to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChooseCandidate {
    /// The candidate's media `key` (or its `url`).
    pub key: String,
}
