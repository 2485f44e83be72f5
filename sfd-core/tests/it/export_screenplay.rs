//! The screenplay exports read back by real parsers: the Fountain script by
//! PyPI's `screenplain` (scripts/test installs it), the shot list by
//! Python's `csv`. Every scene is a heading, every dialogue line a cue.

use serde_json::{Value, json};
use sfd_core::export::{fountain, shot_list};
use sfd_core::generate::no_progress;
use sfd_core::{Drama, GenerateOptions, SimulatedLlm, generate_drama};

use crate::fixtures::fixture;

/// What `script` prints reading `input` on its stdin.
fn python(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `script`'s paragraphs as screenplain reads them: `["Slug", text]`,
/// `["Dialog", cue, [[parenthetical?, text]…]]`, or `[kind]`.
fn screenplain(script: &str) -> Vec<Value> {
    let parse = r#"
import io, json, sys
from screenplain.parsers import fountain
play = fountain.parse(io.StringIO(sys.stdin.read()))
out = []
for p in play.paragraphs:
    kind = type(p).__name__
    if kind == "Slug":
        out.append([kind, str(p.line)])
    elif kind == "Dialog":
        out.append([kind, str(p.character), [[paren, str(text)] for paren, text in p.blocks]])
    else:
        out.append([kind])
print(json.dumps({"title": play.title_page, "paragraphs": out}))
"#;
    let out = python(parse, script.as_bytes());
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["title"]["Draft date"][0].as_str().is_some_and(|d| d.len() == 10),
        "{v}"
    );
    v["paragraphs"].as_array().unwrap().clone()
}

async fn generated() -> Drama {
    let opts = GenerateOptions {
        episodes: Some(2),
        scenes_per_episode: Some(3),
        ..Default::default()
    };
    generate_drama(
        &SimulatedLlm::instant(),
        "a lighthouse keeper vanishes",
        &opts,
        &no_progress,
    )
    .await
    .unwrap()
    .drama
}

#[tokio::test]
async fn every_scene_is_a_heading_and_every_line_a_cue_in_screenplain() {
    let drama = generated().await;
    let paragraphs = screenplain(&fountain(&drama, "2026-12-07"));
    let slugs: Vec<&str> = paragraphs
        .iter()
        .filter(|p| p[0] == "Slug")
        .map(|p| p[1].as_str().unwrap())
        .collect();
    let scenes: Vec<_> = drama.episodes.iter().flat_map(|e| &e.scenes).collect();
    let headings: Vec<String> = scenes.iter().map(|s| s.heading().unwrap().to_string()).collect();
    assert_eq!(slugs, headings);
    assert!(
        slugs
            .iter()
            .all(|s| s.starts_with("INT. ") || s.starts_with("EXT. ") || s.starts_with("INT./EXT. "))
    );

    let dialog: Vec<&Value> = paragraphs.iter().filter(|p| p[0] == "Dialog").collect();
    let lines: Vec<_> = scenes.iter().flat_map(|s| s.lines()).collect();
    assert_eq!(dialog.len(), lines.len());
    for (d, line) in dialog.iter().zip(&lines) {
        let cue = match line.speaker {
            Some(id) => drama.character(id).unwrap().name.to_uppercase(),
            None => "NARRATOR (V.O.)".into(),
        };
        assert_eq!(d[1], json!(cue));
        let mut blocks = vec![];
        if let Some(delivery) = line.delivery() {
            blocks.push(json!([true, format!("({delivery})")]));
        }
        blocks.push(json!([false, line.text()]));
        assert_eq!(d[2], json!(blocks), "{}", line.audio.id);
    }
}

#[test]
fn an_old_document_still_has_a_heading_per_scene() {
    let drama = Drama::from_slice(&fixture("corgi_musk_v5.json")).unwrap();
    let paragraphs = screenplain(&fountain(&drama, "2026-12-07"));
    let slugs = paragraphs.iter().filter(|p| p[0] == "Slug").count();
    assert_eq!(slugs, drama.episodes.iter().map(|e| e.scenes.len()).sum::<usize>());
    // One shot and no line per scene, through the same accessors.
    for s in drama.episodes.iter().flat_map(|e| &e.scenes) {
        assert_eq!((s.shots().len(), s.lines().len()), (1, 0), "{}", s.id);
    }
}

#[tokio::test]
async fn the_shot_list_names_headings_framing_and_speakers() {
    let drama = generated().await;
    let csv = shot_list(&drama, 5);
    let read = "import csv, io, json, sys\n\
                print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))";
    let rows: Vec<Vec<String>> = serde_json::from_str(&python(read, csv.as_bytes())).unwrap();
    assert_eq!(rows[0][7..], ["heading", "framing", "camera", "speaker", "delivery"]);
    let scene = &drama.episodes[0].scenes[0];
    let line = &scene.lines()[0];
    let row = rows.iter().find(|r| r[2] == line.audio.id).unwrap();
    let who = line
        .speaker
        .map_or("narrator".into(), |id| drama.character(id).unwrap().name.clone());
    assert_eq!(
        (row[7].clone(), row[10].clone()),
        (scene.heading().unwrap().to_string(), who)
    );
    let shot = &scene.shots()[0];
    let row = rows.iter().find(|r| r[2] == shot.video.id).unwrap();
    assert_eq!(row[8], shot.framing().unwrap());
}
