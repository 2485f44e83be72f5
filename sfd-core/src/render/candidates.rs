//! Best-of-N for one image: N candidates rendered side by side, each stored
//! and scored by the judge against the references and the prompt; the best
//! is kept. When none reaches the threshold, another round is made, up to
//! the retry budget, and then the best of all is kept with a warning.

use std::sync::Arc;

use futures::future::join_all;

use super::run::call;
use super::{Judge, Media, MediaRequest, Reference, RenderConfig, Renderer};
use crate::model::{Candidate, Candidates, MediaUsage};
use crate::storage::{MediaInfo, MediaStore, MediaStoreExt};
use crate::{Error, Result};

/// The image a node keeps, and what making it spent.
pub(crate) struct Picked {
    /// The kept file (and who made it).
    pub made: Media,
    /// Where it is stored.
    pub info: MediaInfo,
    /// What every candidate's render spent.
    pub usage: MediaUsage,
    /// What that cost (the judge's cost is in `candidates`).
    pub cost_usd: f64,
    /// Every candidate, scored (best-of-N only).
    pub candidates: Option<Candidates>,
    /// Candidates made beyond the kept one.
    pub extra: u32,
}

impl Picked {
    /// A single render: nothing to choose from.
    pub(crate) fn one(made: Media, info: MediaInfo, cost_usd: f64) -> Self {
        Picked {
            usage: made.usage,
            made,
            info,
            cost_usd,
            candidates: None,
            extra: 0,
        }
    }
}

/// Where a node's candidates come from and go.
pub(crate) struct Target<'a> {
    pub config: &'a RenderConfig,
    pub renderer: &'a Arc<dyn Renderer>,
    pub media: &'a dyn MediaStore,
    pub drama_id: &'a str,
    pub asset_id: &'a str,
}

/// One stored, scored candidate.
struct Scored {
    made: Media,
    info: MediaInfo,
    candidate: Candidate,
}

impl Target<'_> {
    /// Renders `n` candidates of `request` per round and keeps the best.
    pub(crate) async fn best_of(&self, request: MediaRequest, n: u32) -> Result<Picked> {
        let best_of = self.config.best_of();
        let judge = best_of
            .judge
            .as_ref()
            .ok_or_else(|| Error::invalid("candidates", "best-of-N needs a judge: set SFD_JUDGE_API_BASE"))?;
        let mut all: Vec<Scored> = Vec::new();
        let (mut usage, mut cost_usd) = (MediaUsage::default(), 0.0);
        let mut judge_usage = MediaUsage::default();
        let mut rounds = 0;
        for round in 0..=best_of.retries {
            rounds += 1;
            let first = round * n;
            let made = join_all((first..first + n).map(|i| {
                let mut r = request.clone();
                r.candidate = i;
                // Candidates are not resumable provider tasks: each is its own call.
                call(self.config, self.renderer, r, None)
            }))
            .await;
            let mut made_ok = Vec::new();
            let mut failure = None;
            for m in made {
                match m {
                    Ok(m) => {
                        usage += m.usage;
                        cost_usd += self.config.prices().cost(&m.model, &m.usage);
                        made_ok.push(m);
                    }
                    Err(e) => failure = Some(e),
                }
            }
            if made_ok.is_empty() {
                return Err(failure.unwrap_or_else(|| Error::invalid("candidates", "no candidate was made")));
            }
            let scored = join_all(made_ok.into_iter().map(|m| self.score(&**judge, &request, m))).await;
            for s in scored {
                let (s, spent) = s?;
                judge_usage += spent;
                all.push(s);
            }
            if best(&all).is_some_and(|b| all[b].candidate.score >= best_of.threshold) {
                break;
            }
        }
        let kept = best(&all).ok_or_else(|| Error::invalid("candidates", "no candidate was made"))?;
        let score = all[kept].candidate.score;
        let warning = (score < best_of.threshold).then(|| {
            format!(
                "no candidate reached the judge's threshold {} in {rounds} round(s) of {n}; kept the best ({score})",
                best_of.threshold
            )
        });
        if let Some(w) = &warning {
            tracing::warn!(asset = self.asset_id, "{w}");
        }
        let judge_cost_usd = super::prices::round_usd(self.config.prices().cost(judge.model(), &judge_usage));
        let extra = all.len().saturating_sub(1) as u32;
        let candidates = Candidates {
            candidates: all.iter().map(|s| s.candidate.clone()).collect(),
            warning,
            judge_usage,
            judge_cost_usd,
        };
        let Scored { made, info, .. } = all.swap_remove(kept);
        Ok(Picked {
            made,
            info,
            usage,
            cost_usd,
            candidates: Some(candidates),
            extra,
        })
    }

    /// Stores one candidate and has the judge score it.
    async fn score(&self, judge: &dyn Judge, request: &MediaRequest, made: Media) -> Result<(Scored, MediaUsage)> {
        let info = self
            .media
            .store_media(self.drama_id, self.asset_id, made.media_type, made.bytes.clone())
            .await?;
        let candidate = Reference {
            name: format!("{}-candidate", self.asset_id),
            media_type: made.media_type,
            bytes: made.bytes.clone(),
        };
        let verdict = judge
            .judge(&request.prompt, &candidate, &request.references)
            .await
            .map_err(|e| match e {
                Error::Render { .. } => e,
                other => Error::invalid("judge", other.to_string()),
            })?;
        let url = info.key.url(self.config.public_url());
        let candidate = Candidate {
            key: info.key.path().to_string(),
            url,
            score: verdict.score,
            reason: verdict.reason,
        };
        Ok((Scored { made, info, candidate }, verdict.usage))
    }
}

/// The highest-scored candidate (the first of equals).
fn best(all: &[Scored]) -> Option<usize> {
    all.iter().enumerate().fold(None, |b: Option<usize>, (i, s)| match b {
        Some(j) if all[j].candidate.score >= s.candidate.score => Some(j),
        _ => Some(i),
    })
}
