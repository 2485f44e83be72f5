//! Voice identity: each character speaks every line in one voice, kept on
//! the character (`metadata.voice`) by the first render so later renders use
//! the same; changing it makes that character's lines stale and no others.
//! Each line keeps its timing as `metadata.speech` (duration and words).

use std::sync::Arc;

use sfd_core::{
    AssetKind, JobStatus, PlanAction, RenderRequest, SpeechTiming, Storage, StorageBuilder, StorageExt, plan_render,
};

use crate::render_support::{priced_with, sample, simulated, studio_with};

fn audio() -> RenderRequest {
    RenderRequest {
        kinds: Some(vec![AssetKind::Audio]),
        ..Default::default()
    }
}

#[tokio::test]
async fn each_character_keeps_one_voice_and_changing_it_makes_only_its_lines_stale() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let d = sample("drama_voices", 2, 1, 4, 4, true);
    storage.create_drama(&d).await.unwrap();
    let sim = simulated();
    let config = priced_with(sim.clone());
    let studio = studio_with(Arc::clone(&storage), config.clone());
    let job = studio.start_render(&d.id, audio()).await.unwrap();
    let done = studio.jobs().wait(&d.id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);

    let d = storage.get_drama(&d.id).await.unwrap().value;
    let voice_of = |cid: &str| {
        d.character(cid).unwrap().metadata.as_ref().unwrap()["voice"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let calls = sim.calls();
    let lines: Vec<_> = d.episodes[0]
        .scenes
        .iter()
        .flat_map(|s| &s.assets)
        .filter(|a| a.kind == AssetKind::Audio)
        .collect();
    assert_eq!(lines.len(), 4);
    for line in &lines {
        let speaker = &line.depends_on[0];
        let call = calls.iter().find(|c| c.label == line.id).unwrap();
        assert_eq!(call.voice.as_deref(), Some(voice_of(speaker).as_str()), "{}", line.id);
        let timing = SpeechTiming::of(line).unwrap();
        assert!(timing.duration > 0.0);
        let words: Vec<&str> = timing.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, line.prompt.split_whitespace().collect::<Vec<_>>());
        assert!(timing.words.windows(2).all(|w| w[0].end <= w[1].start));
    }
    // Kept, the voice changes nothing: every line is up to date.
    let plan = plan_render(&d, &audio(), &config).unwrap();
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Skip), "{plan:?}");

    // Another voice for char-0: its lines are stale, char-1's are not.
    let d = storage
        .modify_drama(&d.id, None, |d| {
            let c = d.character_mut("char-0")?;
            c.metadata
                .get_or_insert_with(Default::default)
                .insert("voice".into(), "onyx".into());
            Ok(d.clone())
        })
        .await
        .unwrap()
        .value;
    let plan = plan_render(&d, &audio(), &config).unwrap();
    for line in &lines {
        let node = plan.node(&line.id).unwrap();
        let expected = if line.depends_on[0] == "char-0" {
            PlanAction::Stale
        } else {
            PlanAction::Skip
        };
        assert_eq!(node.action, expected, "{}: {:?}", line.id, node.reason);
    }
}
