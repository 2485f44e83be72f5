//! Counts come from the request or the premise; a model that writes too
//! few episodes or scenes is asked for the missing ones, too many are cut,
//! and only a list still short after that fails its stage.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use sfd_core::generate::no_progress;
use sfd_core::{ChatRequest, Error, GenerateOptions, generate_drama, validate};

use crate::scripted::{ScriptedLlm, prompt, schema_name, simulated_answer};

const PREMISE: &str = "create a short drama script of 5 episodes, talking about how Corgi Musk becomes the richest dog";

/// The simulator's answer with `key`'s list resized to `n` (cut, or grown
/// with copies of its first item): valid for the schema in every other way.
fn resized(req: &ChatRequest, key: &str, n: usize) -> String {
    let mut v = futures::executor::block_on(simulated_answer(req));
    let list = v[key].as_array_mut().unwrap();
    let first = list.first().cloned().unwrap_or(Value::Null);
    list.resize(n, first);
    v.to_string()
}

#[tokio::test]
async fn a_short_outline_is_topped_up_with_only_the_missing_episodes() {
    let llm = ScriptedLlm::new(|req, _| (schema_name(req) == "drama_outline").then(|| Ok(resized(req, "episodes", 3))));
    let g = generate_drama(&llm, PREMISE, &GenerateOptions::default(), &no_progress)
        .await
        .unwrap();
    assert_eq!(g.drama.episodes.len(), 5);
    assert!(validate(&g.drama).is_empty());
    assert_eq!((llm.calls_for("drama_outline"), llm.calls_for("more_episodes")), (1, 1));
    let reqs = llm.requests.lock().unwrap();
    let more = reqs.iter().find(|r| schema_name(r) == "more_episodes").unwrap();
    assert!(prompt(more).contains("Write episodes 4 to 5"), "{}", prompt(more));
    assert_eq!(
        more.schema.as_ref().unwrap().schema["properties"]["episodes"]["minItems"],
        json!(2)
    );
    // Six calls for five episodes plus the one top-up; no repair.
    assert_eq!(g.usage.calls, 7);
}

#[tokio::test]
async fn extra_episodes_and_scenes_are_dropped_without_a_call() {
    let llm = ScriptedLlm::new(|req, _| match schema_name(req) {
        "drama_outline" => Some(Ok(resized(req, "episodes", 9))),
        "episode_scenes" => Some(Ok(resized(req, "scenes", 7))),
        _ => None,
    });
    let opts = GenerateOptions {
        episodes: Some(2),
        scenes_per_episode: Some(3),
        ..Default::default()
    };
    let g = generate_drama(&llm, "p", &opts, &no_progress).await.unwrap();
    let counts: Vec<usize> = g.drama.episodes.iter().map(|e| e.scenes.len()).collect();
    assert_eq!(counts, [3, 3]);
    assert_eq!(llm.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn short_episodes_are_topped_up_with_the_scenes_so_far_in_the_prompt() {
    let llm = ScriptedLlm::new(|req, _| (schema_name(req) == "episode_scenes").then(|| Ok(resized(req, "scenes", 1))));
    let opts = GenerateOptions {
        episodes: Some(1),
        scenes_per_episode: Some(4),
        ..Default::default()
    };
    let g = generate_drama(&llm, "p", &opts, &no_progress).await.unwrap();
    assert_eq!(g.drama.episodes[0].scenes.len(), 4);
    assert_eq!(g.drama.episodes[0].scenes[3].id, "ep1-sc4");
    let reqs = llm.requests.lock().unwrap();
    let more = reqs.iter().find(|r| schema_name(r) == "more_scenes").unwrap();
    let first = &g.drama.episodes[0].scenes[0].description;
    assert!(prompt(more).contains("(scenes 2 to 4)") && prompt(more).contains(first.as_str()));
}

#[tokio::test]
async fn the_count_never_comes_from_the_model() {
    // No count asked for: whatever in-range count the model writes stands,
    // and a count it claims in its answer changes nothing.
    let llm = ScriptedLlm::new(|req, _| {
        (schema_name(req) == "drama_outline").then(|| {
            let mut v: Value = serde_json::from_str(&resized(req, "episodes", 4)).unwrap();
            v["requested_episode_count"] = json!(9);
            Ok(v.to_string())
        })
    });
    let g = generate_drama(&llm, "a heist", &GenerateOptions::default(), &no_progress)
        .await
        .unwrap();
    assert_eq!(g.drama.episodes.len(), 4);
    let reqs = llm.requests.lock().unwrap();
    let schema = &reqs[0].schema.as_ref().unwrap().schema;
    assert!(schema["properties"].get("requested_episode_count").is_none());
}

#[tokio::test]
async fn a_list_still_short_after_the_top_ups_fails_naming_the_stage() {
    let llm = ScriptedLlm::new(|req, _| match schema_name(req) {
        "drama_outline" => Some(Ok(resized(req, "episodes", 1))),
        "more_episodes" => Some(Ok(resized(req, "episodes", 0))),
        _ => None,
    });
    let err = generate_drama(&llm, PREMISE, &GenerateOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Generation { stage, .. } if stage == "outline"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("wrote 1 of the 5 episodes"), "{text}");
    assert_eq!(llm.calls_for("more_episodes"), 3);
}

/// A schema-valid model that answers random counts: every generation
/// still ends with the counts asked for.
#[tokio::test]
async fn fifty_generations_against_random_counts_all_succeed() {
    let seed = AtomicU64::new(0x5eed);
    let llm = ScriptedLlm::new(move |req, _| {
        let key = match schema_name(req) {
            "drama_outline" | "more_episodes" => "episodes",
            "episode_scenes" | "more_scenes" => "scenes",
            _ => return None,
        };
        // A small linear congruential generator: the same run every time.
        let r = seed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                Some(s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
            })
            .unwrap();
        // Every list in a schema asks for at least one item: 1 to 8, never the count asked.
        Some(Ok(resized(req, key, 1 + (r >> 33) as usize % 8)))
    });
    let mut failures = Vec::new();
    for i in 0..50u32 {
        let (premise, opts) = match i % 3 {
            0 => (
                format!("story {i}"),
                GenerateOptions {
                    episodes: Some(1 + i % 5),
                    scenes_per_episode: Some(1 + i % 4),
                    ..Default::default()
                },
            ),
            1 => (
                format!("story {i} in {} episodes", 2 + i % 3),
                GenerateOptions::default(),
            ),
            _ => (format!("story {i}"), GenerateOptions::default()),
        };
        match generate_drama(&llm, &premise, &opts, &no_progress).await {
            Ok(g) => {
                let want = opts
                    .episodes
                    .or(sfd_core::generate::count_in_premise(&premise, "episode"));
                if let Some(n) = want {
                    assert_eq!(g.drama.episodes.len(), n as usize, "{premise}");
                }
                if let Some(n) = opts.scenes_per_episode {
                    assert!(g.drama.episodes.iter().all(|e| e.scenes.len() == n as usize));
                }
                assert!(validate(&g.drama).is_empty());
            }
            Err(e) => failures.push(format!("{premise}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of 50 failed: {failures:?}", failures.len());
}
