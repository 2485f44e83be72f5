//! A wrong count is mended, not fatal: a list the model wrote too short is
//! topped up by asking for just the missing items, one too long is cut.
//! The count always comes from the request or the premise (see
//! [`super::schemas::episode_bounds`]), never from the model's answer.

use std::future::Future;

use serde::Serialize;

use crate::llm::Usage;
use crate::{Error, LlmErrorKind, Result};

/// How many times a short list is topped up before its stage fails.
pub(crate) const TOP_UPS: u32 = 3;

/// Where a list is mended, for error messages.
pub(crate) struct Place<'a> {
    /// What the items are, plural (`episodes`, `scenes`).
    pub what: &'a str,
    /// The generation stage.
    pub stage: &'a str,
    /// The episode, for per-episode stages.
    pub episode: Option<&'a str>,
}

/// Brings `items` within `(min, max)`: extras past `max` are dropped; while
/// fewer than `min`, `more(items_so_far_as_json, have, missing)` is asked for
/// the missing ones, at most [`TOP_UPS`] times. Fails, naming the stage and
/// what is still missing, only when the list is still short after that.
pub(crate) async fn mend<T, F, Fut>(
    items: &mut Vec<T>,
    (min, max): (u32, u32),
    at: Place<'_>,
    mut more: F,
) -> Result<Usage>
where
    T: Serialize,
    F: FnMut(String, usize, usize) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Usage)>>,
{
    let (min, max) = (min as usize, max as usize);
    let mut usage = Usage::default();
    let mut asked = 0;
    while items.len() < min {
        if asked == TOP_UPS {
            let message = format!(
                "the model wrote {} of the {min} {} asked for, even after {asked} requests for the missing ones",
                items.len(),
                at.what
            );
            return Err(
                Error::llm(LlmErrorKind::InvalidOutput, None, message, usage.calls).at_stage(at.stage, at.episode)
            );
        }
        asked += 1;
        let (have, missing) = (items.len(), min - items.len());
        tracing::info!(
            stage = at.stage,
            episode = at.episode,
            have,
            missing,
            what = at.what,
            "asking for the missing items"
        );
        let so_far = serde_json::to_string(&*items).unwrap_or_default();
        let (extra, u) = more(so_far, have, missing).await?;
        usage += u;
        items.extend(extra);
    }
    if items.len() > max {
        tracing::info!(
            stage = at.stage,
            episode = at.episode,
            kept = max,
            dropped = items.len() - max,
            what = at.what,
            "dropping extra items"
        );
        items.truncate(max);
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Place<'static> {
        Place {
            what: "episodes",
            stage: "outline",
            episode: None,
        }
    }

    #[tokio::test]
    async fn extras_are_dropped_without_a_call() {
        let mut items = vec![1, 2, 3, 4];
        mend(&mut items, (2, 2), place(), |_, _, _| async { unreachable!() })
            .await
            .unwrap();
        assert_eq!(items, [1, 2]);
    }

    #[tokio::test]
    async fn the_missing_items_are_asked_for() {
        let mut items = vec![1];
        let mut asks = Vec::new();
        let usage = mend(&mut items, (4, 4), place(), |so_far, have, missing| {
            asks.push((so_far, have, missing));
            // The model gives one item fewer than asked, then the rest.
            let n = if have == 1 { missing - 1 } else { missing };
            async move {
                let u = Usage {
                    calls: 1,
                    ..Default::default()
                };
                Ok(((0..n).map(|i| 10 + i as i32).collect(), u))
            }
        })
        .await
        .unwrap();
        assert_eq!(items, [1, 10, 11, 10]);
        assert_eq!(asks, [("[1]".to_string(), 1, 3), ("[1,10,11]".to_string(), 3, 1)]);
        assert_eq!(usage.calls, 2);
    }

    #[tokio::test]
    async fn still_short_after_the_top_ups_fails_naming_the_stage() {
        let mut items: Vec<i32> = Vec::new();
        let err = mend(&mut items, (3, 3), place(), |_, _, _| async {
            Ok((Vec::new(), Usage::default()))
        })
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("stage 'outline'") && text.contains("wrote 0 of the 3 episodes"),
            "{text}"
        );
    }
}
