//! [`BestOf`]: how many candidates an image render makes, who judges them,
//! and what a judge's score must reach. Read from `SFD_RENDER_CANDIDATES`
//! and `SFD_JUDGE_*` (see [`super::RENDER_SETTINGS`]).

use std::fmt;
use std::sync::Arc;

use super::judge::{ChatJudge, DEFAULT_JUDGE_MODEL, ESTIMATED_JUDGE_TOKENS, Judge};
use super::{PriceTable, ProviderConfig};
use crate::model::MediaUsage;
use crate::{Error, Result};

/// The most candidates one image may ask for.
pub const MAX_CANDIDATES: u32 = 8;

/// Best-of-N settings.
#[derive(Clone)]
pub struct BestOf {
    /// Who scores candidates (`None`: no judge, one candidate per image).
    pub judge: Option<Arc<dyn Judge>>,
    /// Candidates per image when a render asks for none (default 1).
    pub candidates: u32,
    /// The score the best candidate must reach, else the node is rendered
    /// again (default 0.5).
    pub threshold: f64,
    /// How many more rounds of candidates a node below the threshold gets
    /// before its best is kept with a warning (default 1).
    pub retries: u32,
}

impl Default for BestOf {
    fn default() -> Self {
        BestOf {
            judge: None,
            candidates: 1,
            threshold: 0.5,
            retries: 1,
        }
    }
}

impl fmt::Debug for BestOf {
    // The judge shows only its model: no keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BestOf")
            .field("judge", &self.judge.as_ref().map(|j| j.model().to_string()))
            .field("candidates", &self.candidates)
            .field("threshold", &self.threshold)
            .field("retries", &self.retries)
            .finish()
    }
}

impl BestOf {
    /// Reads `SFD_RENDER_CANDIDATES`, `SFD_JUDGE_API_BASE`, `SFD_JUDGE_API_KEY`,
    /// `SFD_JUDGE_MODEL`, `SFD_JUDGE_THRESHOLD` and `SFD_JUDGE_RETRIES`;
    /// `provider` builds a provider's config (fetch rules applied).
    pub(crate) fn from_env(
        get: &dyn Fn(&str) -> Option<String>,
        provider: &dyn Fn(String, Option<String>, String) -> ProviderConfig,
    ) -> Result<Self> {
        let mut b = BestOf::default();
        if let Some(v) = get("SFD_RENDER_CANDIDATES") {
            b.candidates = parse_candidates(&v).map_err(|m| Error::Config(format!("SFD_RENDER_CANDIDATES: {m}")))?;
        }
        if let Some(v) = get("SFD_JUDGE_THRESHOLD") {
            b.threshold = v
                .parse::<f64>()
                .ok()
                .filter(|t| (0.0..=1.0).contains(t))
                .ok_or_else(|| Error::Config(format!("SFD_JUDGE_THRESHOLD must be a score from 0 to 1, got '{v}'")))?;
        }
        if let Some(v) = get("SFD_JUDGE_RETRIES") {
            b.retries =
                v.parse::<u32>().ok().filter(|r| *r <= 5).ok_or_else(|| {
                    Error::Config(format!("SFD_JUDGE_RETRIES must be a count from 0 to 5, got '{v}'"))
                })?;
        }
        let key = get("SFD_JUDGE_API_KEY");
        let model = get("SFD_JUDGE_MODEL").unwrap_or_else(|| DEFAULT_JUDGE_MODEL.into());
        if let Some(base) = get("SFD_JUDGE_API_BASE") {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(Error::Config(format!(
                    "SFD_JUDGE_API_BASE must be an http(s) URL, got '{base}'"
                )));
            }
            b.judge = Some(Arc::new(ChatJudge::new(provider(base, key, model))?));
        } else if key.is_some() {
            return Err(Error::Config(
                "SFD_JUDGE_API_KEY is set but SFD_JUDGE_API_BASE is not: name the judge's endpoint".into(),
            ));
        }
        Ok(b)
    }

    /// The candidates a render of `asked` (its body's `candidates`) makes
    /// per image, or why it cannot.
    pub fn candidates_for(&self, asked: Option<u32>) -> Result<u32> {
        let n = asked.unwrap_or(self.candidates);
        if !(1..=MAX_CANDIDATES).contains(&n) {
            return Err(Error::invalid(
                "candidates",
                format!("must be from 1 to {MAX_CANDIDATES}, got {n}"),
            ));
        }
        if n > 1 && self.judge.is_none() {
            return Err(Error::invalid(
                "candidates",
                format!("{n} candidates need a judge: set SFD_JUDGE_API_BASE and SFD_JUDGE_MODEL"),
            ));
        }
        Ok(n)
    }

    /// What judging `n` candidates is estimated to cost.
    pub(crate) fn estimate(&self, prices: &PriceTable, n: u32) -> f64 {
        match &self.judge {
            Some(j) if n > 1 => {
                let usage = MediaUsage {
                    calls: n,
                    input_tokens: ESTIMATED_JUDGE_TOKENS.0 * u64::from(n),
                    output_tokens: ESTIMATED_JUDGE_TOKENS.1 * u64::from(n),
                    ..Default::default()
                };
                prices.cost(j.model(), &usage)
            }
            _ => 0.0,
        }
    }
}

/// A count of candidates from 1 to [`MAX_CANDIDATES`].
fn parse_candidates(v: &str) -> std::result::Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_CANDIDATES).contains(n))
        .ok_or_else(|| format!("must be a count from 1 to {MAX_CANDIDATES}, got '{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<BestOf> {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        BestOf::from_env(&get, &|b, k, m| ProviderConfig::new(b, k, m))
    }

    #[test]
    fn settings_are_checked_and_name_their_variable() {
        let b = read(&[
            ("SFD_RENDER_CANDIDATES", "3"),
            ("SFD_JUDGE_API_BASE", "https://judge.example/v1"),
            ("SFD_JUDGE_API_KEY", "sk-judge-secret"),
            ("SFD_JUDGE_THRESHOLD", "0.7"),
        ])
        .unwrap();
        assert_eq!((b.candidates, b.threshold, b.retries), (3, 0.7, 1));
        assert_eq!(b.judge.as_ref().unwrap().model(), DEFAULT_JUDGE_MODEL);
        assert!(!format!("{b:?}").contains("secret"));
        assert_eq!(b.candidates_for(None).unwrap(), 3);
        assert!(b.candidates_for(Some(9)).unwrap_err().to_string().contains("1 to 8"));
        for (pairs, var) in [
            (&[("SFD_RENDER_CANDIDATES", "0")][..], "SFD_RENDER_CANDIDATES"),
            (&[("SFD_JUDGE_THRESHOLD", "7")][..], "SFD_JUDGE_THRESHOLD"),
            (&[("SFD_JUDGE_RETRIES", "x")][..], "SFD_JUDGE_RETRIES"),
            (&[("SFD_JUDGE_API_BASE", "judge:80")][..], "SFD_JUDGE_API_BASE"),
            (&[("SFD_JUDGE_API_KEY", "k")][..], "SFD_JUDGE_API_BASE"),
        ] {
            let e = read(pairs).unwrap_err().to_string();
            assert!(e.contains(var), "{e}");
        }
        let e = read(&[]).unwrap().candidates_for(Some(2)).unwrap_err().to_string();
        assert!(e.contains("need a judge") && e.contains("SFD_JUDGE_API_BASE"), "{e}");
    }
}
