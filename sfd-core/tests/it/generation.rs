//! The generation pipeline against a scripted LLM.

use std::sync::atomic::Ordering;

use serde_json::json;
use sfd_core::generate::no_progress;
use sfd_core::{
    Error, GenerateOptions, ImproveOptions, LlmErrorKind, Progress, critique_drama, generate_drama, improve_drama,
    validate,
};

use crate::scripted::{ScriptedLlm, prompt, schema_name, simulated_answer};

const PREMISE: &str = "create a short drama script of 5 episodes, talking about how Corgi Musk becomes the richest dog";

#[tokio::test]
async fn premise_count_is_honoured_and_ids_are_assigned() {
    let llm = ScriptedLlm::simulated();
    let g = generate_drama(&llm, PREMISE, &GenerateOptions::default(), &no_progress)
        .await
        .unwrap();
    let d = &g.drama;
    assert_eq!(d.episodes.len(), 5);
    assert!(d.id.starts_with("drama_"));
    assert!(validate(d).is_empty());
    assert_eq!(d.episodes[1].id, "ep2");
    let sc = &d.episodes[1].scenes[0];
    assert_eq!(sc.id, "ep2-sc1");
    assert_eq!(sc.assets[0].id, "ep2-sc1-sh1-img");
    assert!(sc.assets[0].depends_on.len() <= 3);
    assert!(sc.assets[0].depends_on.iter().all(|c| d.character(c).is_some()));
    assert_eq!(sc.assets[1].depends_on, ["ep2-sc1-sh1-img"]);
    assert!([Some(10), Some(15)].contains(&sc.assets[1].duration));
    // Every scene reads as a screenplay: a heading, 2 to 4 shots, its lines; every episode has music.
    for e in &d.episodes {
        assert!(e.music().is_some_and(|m| !m.prompt.is_empty()), "{} has no music", e.id);
        for s in &e.scenes {
            assert!(
                s.heading().is_some_and(|h| !h.location.is_empty()),
                "{} has no heading",
                s.id
            );
            let shots = s.shots();
            assert!((2..=4).contains(&shots.len()), "{}: {} shots", s.id, shots.len());
            for shot in &shots {
                assert!(shot.keyframe.is_some() && shot.framing().is_some() && shot.camera().is_some());
                assert!(shot.characters().iter().all(|c| d.character(c).is_some()));
            }
            let lines = s.lines();
            assert!(!lines.is_empty(), "{} has no lines", s.id);
            for l in &lines {
                assert!(!l.text().is_empty() && l.speaker.is_none_or(|c| d.character(c).is_some()));
            }
        }
    }
    assert!(d.characters.iter().all(|c| c.id.starts_with("char-")));
    // 1 outline + 5 episodes, usage summed over all of them.
    assert_eq!(g.usage.calls, 6);
    assert_eq!(llm.calls_for("drama_outline"), 1);
    // The outline schema pins the count; each episode call sees the whole bible.
    let reqs = llm.requests.lock().unwrap();
    let outline = reqs.iter().find(|r| schema_name(r) == "drama_outline").unwrap();
    assert_eq!(
        outline.schema.as_ref().unwrap().schema["properties"]["episodes"]["minItems"],
        json!(5)
    );
    let ep = reqs.iter().find(|r| schema_name(r) == "episode_scenes").unwrap();
    assert!(prompt(ep).contains(&d.characters[0].id));
}

#[tokio::test]
async fn malformed_json_is_repaired_once() {
    let llm =
        ScriptedLlm::new(|req, n| (n == 0 && schema_name(req) == "drama_outline").then(|| Ok("{not json".into())));
    let opts = GenerateOptions {
        episodes: Some(2),
        ..Default::default()
    };
    let g = generate_drama(&llm, "a premise", &opts, &no_progress).await.unwrap();
    assert_eq!(g.drama.episodes.len(), 2);
    assert_eq!(llm.calls_for("drama_outline"), 2);
    let reqs = llm.requests.lock().unwrap();
    let repair = prompt(&reqs[1]);
    assert!(repair.contains("is not JSON"), "{repair}");
    assert_eq!(
        reqs[1].messages.len(),
        4,
        "the repair carries the bad answer and the problems"
    );
}

#[tokio::test]
async fn an_invalid_reference_is_caught_and_names_the_episode() {
    // A server that ignores `enum` keeps inventing a character in episode 3.
    let llm = ScriptedLlm::new(|req, _| {
        let first = req.messages.get(1).map(|m| m.content.as_str()).unwrap_or("");
        if schema_name(req) != "episode_scenes" || !first.contains("Write episode 3") {
            return None;
        }
        let mut v = futures::executor::block_on(simulated_answer(req));
        v["scenes"][0]["shots"][0]["characters"] = json!(["char-ghost"]);
        Some(Ok(v.to_string()))
    });
    let opts = GenerateOptions {
        episodes: Some(3),
        max_parallel: 1,
        ..Default::default()
    };
    let err = generate_drama(&llm, "p", &opts, &no_progress).await.unwrap_err();
    match &err {
        Error::Generation { stage, episode, source } => {
            assert_eq!(stage, "episode");
            assert_eq!(episode.as_deref(), Some("ep3"));
            assert!(matches!(
                **source,
                Error::Llm {
                    kind: LlmErrorKind::InvalidOutput,
                    ..
                }
            ));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("char-ghost"), "{err}");
    // Episode 3 was tried twice from scratch, each with one repair; the
    // other episodes were asked once each and never again.
    let per_episode = |n: usize| {
        let reqs = llm.requests.lock().unwrap();
        let tag = format!("Write episode {n}");
        reqs.iter().filter(|r| r.messages[1].content.contains(&tag)).count()
    };
    assert_eq!((per_episode(1), per_episode(2), per_episode(3)), (1, 1, 4));
}

#[tokio::test]
async fn running_out_of_tokens_retries_with_a_larger_budget() {
    let llm = ScriptedLlm::new(|req, n| {
        (n == 0 && schema_name(req) == "drama_outline")
            .then(|| Err(Error::llm(LlmErrorKind::Length, None, "budget ran out", 1)))
    });
    let opts = GenerateOptions {
        episodes: Some(1),
        outline_tokens: 1000,
        ..Default::default()
    };
    generate_drama(&llm, "p", &opts, &no_progress).await.unwrap();
    let reqs = llm.requests.lock().unwrap();
    assert_eq!(
        (reqs[0].max_completion_tokens, reqs[1].max_completion_tokens),
        (1000, 2000)
    );
}

#[tokio::test]
async fn a_refusal_is_a_typed_error_naming_the_stage() {
    let llm = ScriptedLlm::new(|_, _| {
        Some(Err(Error::llm(
            LlmErrorKind::Refusal,
            None,
            "I can't help with that",
            1,
        )))
    });
    let err = generate_drama(&llm, "p", &GenerateOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Generation { stage, source, .. }
        if stage == "outline" && matches!(**source, Error::Llm { kind: LlmErrorKind::Refusal, .. })));
    assert!(err.to_string().contains("I can't help with that"));
}

#[tokio::test]
async fn episodes_run_in_parallel_up_to_the_bound() {
    // Episode calls block until three are in flight: this only finishes if
    // the pipeline really runs three at once.
    let llm = ScriptedLlm::simulated().with_episode_gate(3);
    let opts = GenerateOptions {
        episodes: Some(7),
        max_parallel: 3,
        ..Default::default()
    };
    let events = std::sync::Mutex::new(Vec::<Progress>::new());
    let g = generate_drama(&llm, "p", &opts, &|p| events.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(g.drama.episodes.len(), 7);
    assert_eq!(llm.max_in_flight.load(Ordering::SeqCst), 3);
    let events = events.into_inner().unwrap();
    let stages: Vec<_> = events.iter().map(|p| (p.stage.as_str(), p.done, p.total)).collect();
    assert_eq!(stages[..3], [("outline", 0, 1), ("outline", 1, 1), ("episodes", 0, 7)]);
    assert_eq!(*stages.last().unwrap(), ("episodes", 7, 7));
}

#[tokio::test]
async fn bad_options_are_refused_before_any_call() {
    let llm = ScriptedLlm::simulated();
    for opts in [
        GenerateOptions {
            episodes: Some(0),
            ..Default::default()
        },
        GenerateOptions {
            scenes_per_episode: Some(99),
            ..Default::default()
        },
        GenerateOptions {
            id: Some("../x".into()),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            generate_drama(&llm, "p", &opts, &no_progress).await,
            Err(Error::Invalid(_))
        ));
    }
    assert!(matches!(
        generate_drama(&llm, "  ", &GenerateOptions::default(), &no_progress).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(llm.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn improve_rewrites_only_the_episodes_it_plans_to() {
    let v4 = sfd_core::Drama::from_slice(&crate::fixtures::fixture("corgi_musk_v4.json")).unwrap();
    let llm = ScriptedLlm::new(|req, _| {
        (schema_name(req) == "improve_plan").then(|| {
            Ok(
                json!({"summary": "Slow down episode 2", "title": null, "description": null,
                      "episodes": [{"episode_id": "ep2", "instructions": "space out the betrayal"}]})
                .to_string(),
            )
        })
    });
    let critique = String::from_utf8(crate::fixtures::fixture("corgi_musk_v4_critique.txt")).unwrap();
    let opts = ImproveOptions {
        new_id: Some("corgi_musk_v5b".into()),
        ..Default::default()
    };
    let out = improve_drama(&llm, &v4, &critique, &opts, &no_progress).await.unwrap();
    assert_eq!(out.drama.id, "corgi_musk_v5b");
    assert_eq!(out.changed_episodes, ["ep2"]);
    assert_eq!(out.drama.episodes[0], v4.episodes[0], "untouched episode 1 changed");
    assert_eq!(out.drama.episodes[2], v4.episodes[2], "untouched episode 3 changed");
    assert_ne!(out.drama.episodes[1].scenes, v4.episodes[1].scenes);
    assert_eq!(out.drama.episodes[1].id, "ep2");
    assert_eq!(out.drama.characters, v4.characters);
    assert_eq!(
        out.drama.metadata.as_ref().unwrap()["improvement"]["changedEpisodes"],
        json!(["ep2"])
    );
    assert!(validate(&out.drama).is_empty());
    assert_eq!(llm.calls_for("rewritten_episode"), 1);
}

#[tokio::test]
async fn critique_is_structured() {
    let v5 = sfd_core::Drama::from_slice(&crate::fixtures::fixture("corgi_musk_v5.json")).unwrap();
    let llm = ScriptedLlm::simulated();
    let (c, usage) = critique_drama(&llm, &v5, None).await.unwrap();
    assert!((1..=10).contains(&c.scores.hook));
    assert!(!c.feedback.is_empty());
    assert_eq!(usage.calls, 1);
}

#[tokio::test]
async fn critique_then_improve_for_n_rounds() {
    let v5 = sfd_core::Drama::from_slice(&crate::fixtures::fixture("corgi_musk_v5.json")).unwrap();
    let llm = ScriptedLlm::simulated();
    let opts = ImproveOptions {
        new_id: Some("corgi_musk_v7".into()),
        ..Default::default()
    };
    let (last, critiques, usage) = sfd_core::critique_and_improve(&llm, &v5, 2, &opts, &no_progress)
        .await
        .unwrap();
    assert_eq!(critiques.len(), 2);
    assert_eq!(last.id, "corgi_musk_v7");
    assert!(validate(&last).is_empty());
    assert_eq!(llm.calls_for("drama_critique"), 2);
    assert_eq!(llm.calls_for("improve_plan"), 2);
    assert_eq!(usage.calls as usize, llm.calls.load(Ordering::SeqCst));
    // The second round improved the first round's drama, not the original.
    let reqs = llm.requests.lock().unwrap();
    let second_critique = reqs
        .iter()
        .filter(|r| schema_name(r) == "drama_critique")
        .nth(1)
        .unwrap();
    assert!(prompt(second_critique).contains("_improved_"));
}

#[tokio::test]
async fn the_simulator_generates_from_premises_that_name_no_count() {
    // Every call of one simulator draws new values: many premises in a row
    // must all succeed, not just a lucky one.
    let llm = sfd_core::SimulatedLlm::instant();
    for i in 0..20 {
        let g = generate_drama(
            &llm,
            &format!("a heist in a rainy city, take {i}"),
            &GenerateOptions::default(),
            &no_progress,
        )
        .await
        .unwrap();
        assert!(!g.drama.episodes.is_empty());
    }
}
