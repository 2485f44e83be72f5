//! [`PriceTable`]: what each model charges, to estimate a render before it
//! runs and to cost each node after.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{AssetKind, MediaUsage};
use crate::{Error, Result};

/// A model's prices in US dollars; every unit that applies is added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Price {
    /// Per call.
    pub per_call: f64,
    /// Per image.
    pub per_image: f64,
    /// Per second of video or speech.
    pub per_second: f64,
    /// Per million characters of text spoken.
    pub per_million_characters: f64,
    /// Per million input tokens.
    pub per_million_input_tokens: f64,
    /// Per million output tokens.
    pub per_million_output_tokens: f64,
}

impl Price {
    /// What `usage` costs at this price.
    pub fn cost(&self, u: &MediaUsage) -> f64 {
        let total = self.per_call * f64::from(u.calls)
            + self.per_image * f64::from(u.images)
            + self.per_second * u.seconds
            + self.per_million_characters * u.characters as f64 / 1e6
            + self.per_million_input_tokens * u.input_tokens as f64 / 1e6
            + self.per_million_output_tokens * u.output_tokens as f64 / 1e6;
        round_usd(total)
    }
}

/// Rounds to a millionth of a dollar, so sums read cleanly.
pub(crate) fn round_usd(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Prices by model name. [`PriceTable::default`] holds list prices of the
/// built-in models; a JSON file named by `SFD_PRICES`
/// (`{"model": {"perImage": 0.04, "perSecond": 0.1, …}}`) adds or replaces entries.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    prices: HashMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        let image = |v| Price {
            per_image: v,
            ..Default::default()
        };
        let second = |v| Price {
            per_second: v,
            ..Default::default()
        };
        let chars = |v| Price {
            per_million_characters: v,
            ..Default::default()
        };
        let prices = [
            ("gpt-image-1", image(0.063)),
            ("gpt-image-1-mini", image(0.015)),
            ("dall-e-3", image(0.08)),
            ("dall-e-2", image(0.02)),
            ("gemini-2.5-flash-image", image(0.039)),
            ("gemini-2.5-flash-image-preview", image(0.039)),
            // Veo through the Gemini API, per second of video (with audio):
            // https://ai.google.dev/gemini-api/docs/pricing (Standard $0.40/s,
            // Fast $0.15/s at 720p/1080p; as quoted in
            // https://www.aifreeapi.com/es/posts/veo-3-1-api-rate-limit).
            ("veo-3.1-generate-preview", second(0.40)),
            ("veo-3.1-generate-001", second(0.40)),
            ("veo-3.1-fast-generate-preview", second(0.15)),
            ("veo-3.1-fast-generate-001", second(0.15)),
            ("veo-3.0-generate-001", second(0.40)),
            ("veo-3.0-fast-generate-001", second(0.15)),
            // fal bills video per second, per model (its model pages, e.g.
            // https://fal.ai/models/pixverse/v6/text-to-video: $0.045/s at
            // 720p without audio; Kling on fal from its pages as listed in
            // https://forgedemy.org/skills/fal-ai-video-toolkit-1773866843385/view?file=references%2Ffal-models.md;
            // Kling 4.0 at 720p from https://fal.ai/learn/tools/kling-api).
            // Other fal models: add them with SFD_PRICES.
            ("pixverse/v6/text-to-video", second(0.045)),
            ("pixverse/v6/image-to-video", second(0.045)),
            ("fal-ai/kling-video/v2.5-turbo/pro/image-to-video", second(0.07)),
            ("fal-ai/kling-video/o3/standard/image-to-video", second(0.084)),
            ("fal-ai/kling-video/v3/pro/image-to-video", second(0.112)),
            ("kling/v4/image-to-video", second(0.157)),
            ("kling/v4/text-to-video", second(0.157)),
            ("sora-2", second(0.10)),
            ("sora-2-pro", second(0.30)),
            ("gpt-4o-mini-tts", chars(15.0)),
            ("tts-1", chars(15.0)),
            ("tts-1-hd", chars(30.0)),
        ];
        PriceTable {
            prices: prices.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

impl PriceTable {
    /// A table with no prices (everything costs 0).
    pub fn empty() -> Self {
        PriceTable { prices: HashMap::new() }
    }

    /// Sets the price of `model`.
    pub fn with_price(mut self, model: impl Into<String>, price: Price) -> Self {
        self.prices.insert(model.into(), price);
        self
    }

    /// The defaults, with the entries of a JSON object added or replaced.
    pub fn from_json(json: &str) -> Result<Self> {
        let extra: HashMap<String, Price> = serde_json::from_str(json).map_err(|e| {
            Error::Config(format!(
                "price table: {e}; expected {{\"model\": {{\"perImage\": 0.04}}}}"
            ))
        })?;
        let mut t = Self::default();
        t.prices.extend(extra);
        Ok(t)
    }

    /// The price of `model`.
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.prices.get(model)
    }

    /// What `usage` of `model` costs (0 for a model without a price).
    pub fn cost(&self, model: &str, usage: &MediaUsage) -> f64 {
        self.price(model).map(|p| p.cost(usage)).unwrap_or(0.0)
    }

    /// The expected cost of one render of `kind` by `model`: one image, a
    /// clip of `seconds`, or `text` spoken.
    pub fn estimate(&self, model: &str, kind: AssetKind, seconds: Option<u32>, text: &str) -> f64 {
        self.cost(model, &estimated_usage(kind, seconds, text))
    }
}

/// What one render of `kind` is expected to spend.
pub(crate) fn estimated_usage(kind: AssetKind, seconds: Option<u32>, text: &str) -> MediaUsage {
    let base = MediaUsage {
        calls: 1,
        ..Default::default()
    };
    match kind {
        AssetKind::Image => MediaUsage { images: 1, ..base },
        AssetKind::Video => MediaUsage {
            seconds: f64::from(seconds.unwrap_or(0)),
            ..base
        },
        AssetKind::Audio => MediaUsage {
            characters: text.chars().count() as u64,
            seconds: speech_seconds(text),
            ..base
        },
    }
}

/// How long `text` takes to say: about 2.5 words a second, at least a second.
pub(crate) fn speech_seconds(text: &str) -> f64 {
    (text.split_whitespace().count() as f64 / 2.5).clamp(1.0, 120.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_and_overrides() {
        let t = PriceTable::default();
        assert_eq!(t.estimate("sora-2", AssetKind::Video, Some(10), ""), 1.0);
        assert_eq!(t.estimate("gpt-image-1", AssetKind::Image, None, ""), 0.063);
        assert_eq!(t.estimate("unknown", AssetKind::Image, None, ""), 0.0);
        let t = PriceTable::from_json(r#"{"gpt-image-1": {"perImage": 0.5}, "mine": {"perCall": 0.25}}"#).unwrap();
        assert_eq!(t.estimate("gpt-image-1", AssetKind::Image, None, ""), 0.5);
        assert_eq!(t.estimate("mine", AssetKind::Audio, None, "hi"), 0.25);
        assert_eq!(t.estimate("sora-2", AssetKind::Video, Some(5), ""), 0.5);
        assert!(PriceTable::from_json(r#"{"m": {"perPixel": 1}}"#).is_err());
    }
}
