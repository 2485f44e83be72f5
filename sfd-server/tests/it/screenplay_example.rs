//! The screenplay example shown to users, in the README and in the
//! OpenAPI `Scene` schema, is a valid scene: it parses with sfd's types,
//! reads as a heading, shots and lines, validates inside a drama, and the
//! server takes it through the real client.

use serde_json::Value;
use sfd_client::{Character, Drama, Episode, Scene};

use crate::harness::TestServer;

const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
/// The comment the README's example follows.
const MARKER: &str = "<!-- screenplay-example";

/// The JSON block right after the marker in the README.
fn readme_example() -> Value {
    let (_, after) = README
        .split_once(MARKER)
        .expect("the README marks its screenplay example");
    let (_, block) = after.split_once("```json\n").expect("a JSON block follows the marker");
    let (json, _) = block.split_once("\n```").expect("the block is closed");
    serde_json::from_str(json).unwrap_or_else(|e| panic!("the README's example is not JSON: {e}\n{json}"))
}

/// The example of the `Scene` schema as served at `/openapi.json`.
async fn openapi_example(s: &TestServer) -> Value {
    let spec: Value = reqwest::get(s.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let examples = &spec["components"]["schemas"]["Scene"]["examples"];
    assert_eq!(examples.as_array().map(Vec::len), Some(1), "{examples}");
    examples[0].clone()
}

/// `scene` parsed, checked as a screenplay and put in a drama with its
/// character, which must validate.
fn drama_of(id: &str, scene: &Value, shots: usize) -> Drama {
    let scene: Scene = serde_json::from_value(scene.clone()).unwrap();
    let heading = scene.heading().expect("a heading").to_string();
    assert_eq!(heading, "INT. LIGHTHOUSE - NIGHT");
    let listed: Vec<(&str, Option<&str>, Option<&str>)> = scene
        .shots()
        .iter()
        .map(|s| (s.video.id.as_str(), s.keyframe.map(|k| k.id.as_str()), s.framing()))
        .collect();
    assert_eq!(listed.len(), shots, "{listed:?}");
    assert_eq!(listed[0], ("ep1-sc1-sh1-vid", Some("ep1-sc1-sh1-img"), Some("wide")));
    assert!(scene.shots().iter().all(|s| s.characters() == ["char-mara"]));
    let lines = scene.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].speaker, lines[0].text(), lines[0].delivery()),
        (Some("char-mara"), "Where did you go?", Some("whispering"))
    );
    let mut d = Drama::new(id, "The Lighthouse", "A keeper vanishes.", "lighthouse mystery");
    d.characters
        .push(Character::new("char-mara", "Mara", "a young assistant keeper"));
    let mut ep = Episode::new("ep1", "The Lamp Room", "Mara finds the keeper gone.");
    ep.scenes.push(scene);
    d.episodes.push(ep);
    let problems = sfd_core::validate(&d);
    assert!(problems.is_empty(), "{problems}");
    d
}

#[tokio::test]
async fn the_readme_and_openapi_screenplay_examples_are_valid_scenes() {
    let s = TestServer::start().await;
    let examples = [
        ("drama_readme_scene", readme_example(), 1),
        ("drama_openapi_scene", openapi_example(&s).await, 2),
    ];
    for (id, example, shots) in examples {
        let d = drama_of(id, &example, shots);
        // The server takes it as it is and gives the same scene back.
        s.client.import_drama(&d).await.unwrap();
        let back = s.client.get_drama(id).await.unwrap().value;
        assert_eq!(back.episodes[0].scenes[0], d.episodes[0].scenes[0], "{id}");
    }
}
