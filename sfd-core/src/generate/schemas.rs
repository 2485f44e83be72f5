//! The strict JSON schemas of every generation call, and the shapes they parse into.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::scene::scene;
pub use super::scene::{LineDraft, SceneDraft, ShotDraft};
use crate::llm::JsonSchema;

/// An object whose properties are `fields`, in this order: `(name, meaning, schema)`.
///
/// The order is the order the model writes the fields in: constrained
/// decoders (llama.cpp grammars, strict mode) follow the schema's order, so
/// identity and title come first and a speaker before their line. `required`
/// keeps it (every property is required in strict mode), and the LLM client
/// sends `properties` in that order. The meaning goes into the property's
/// `description` and into the prompt's field list ([`field_guide`]).
pub(crate) fn object(fields: Vec<(&str, &str, Value)>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::with_capacity(fields.len());
    for (name, meaning, mut schema) in fields {
        if let Some(m) = schema.as_object_mut() {
            m.insert("description".into(), json!(meaning));
        }
        required.push(name.to_string());
        properties.insert(name.to_string(), schema);
    }
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

pub(crate) fn array(items: Value, min: Option<u32>, max: Option<u32>) -> Value {
    let mut a = json!({"type": "array", "items": items});
    if let Some(min) = min {
        a["minItems"] = json!(min);
    }
    if let Some(max) = max {
        a["maxItems"] = json!(max);
    }
    a
}

pub(crate) fn string() -> Value {
    json!({"type": "string"})
}

pub(crate) fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

/// The fields `schema` asks for, one per line in the order they must be
/// written, each with its type and meaning: what a prompt says so that a
/// server that does not enforce the schema still gets the right field names.
pub fn field_guide(schema: &Value) -> String {
    let mut out =
        String::from("Answer with one JSON object that has exactly these fields, in this order, and no others:\n");
    guide(schema, 0, &mut out);
    out.trim_end().to_string()
}

fn guide(schema: &Value, depth: usize, out: &mut String) {
    let props = &schema["properties"];
    let names = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for name in names {
        let p = &props[name];
        let meaning = p["description"].as_str().unwrap_or_default();
        out.push_str(&format!(
            "{}- \"{name}\" ({}): {meaning}\n",
            "  ".repeat(depth),
            kind_of(p)
        ));
        let inner = if p["type"] == "array" { &p["items"] } else { p };
        if inner.get("properties").is_some() {
            guide(inner, depth + 1, out);
        }
    }
}

/// The type of a property in words.
fn kind_of(p: &Value) -> String {
    if let Some(options) = p["enum"].as_array() {
        let options: Vec<String> = options.iter().map(Value::to_string).collect();
        return format!("one of {}", options.join(", "));
    }
    let one = |t: &str| match t {
        "string" => "text",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "true or false",
        "object" => "an object with these fields",
        "null" => "null",
        _ => "a value",
    };
    match &p["type"] {
        Value::String(t) if t == "array" => match p["items"]["type"].as_str() {
            Some("object") => "a list of objects, each with these fields".into(),
            _ => format!("a list, each item {}", kind_of(&p["items"])),
        },
        Value::String(t) => one(t).into(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".into(),
    }
}

/// A character as the outline writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutlineCharacter {
    /// Name.
    pub name: String,
    /// Look and personality.
    pub description: String,
    /// Gender.
    pub gender: Option<String>,
    /// Lead or not.
    pub main: bool,
    /// Voice for casting.
    pub voice_description: Option<String>,
}

/// An episode as the outline writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutlineEpisode {
    /// Title.
    pub title: String,
    /// Synopsis ending on the cliffhanger.
    pub synopsis: String,
}

/// Stage 1's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outline {
    /// Title.
    pub title: String,
    /// Logline.
    pub description: String,
    /// The visual style of the whole drama (medium, palette, light, lens).
    #[serde(default)]
    pub look: Option<String>,
    /// The cast.
    pub characters: Vec<OutlineCharacter>,
    /// The episodes.
    pub episodes: Vec<OutlineEpisode>,
}

/// Stage 2's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeDraft {
    /// The scenes in order.
    pub scenes: Vec<SceneDraft>,
    /// The mood of the episode's music.
    #[serde(default)]
    pub music: Option<String>,
}

/// A rewritten episode (improvement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewrittenEpisode {
    /// Title.
    pub title: String,
    /// Synopsis.
    pub synopsis: String,
    /// The scenes in order.
    pub scenes: Vec<SceneDraft>,
    /// The mood of the episode's music.
    #[serde(default)]
    pub music: Option<String>,
}

const SCENE_ACTION: &str = "what happens in the shot: action and key lines of dialogue";
const IMAGE_PROMPT: &str =
    "the prompt of one 9:16 keyframe image, describing each character's look as in the character bible";
const VIDEO_PROMPT: &str = "the prompt of the shot that moves from that keyframe: camera, action, dialogue and sound";
const MUSIC: &str = "the mood of the episode's music score in one line (instruments, tempo, feeling)";
const DURATION: &str = "the shot's length in seconds, one of the allowed values";
const SYNOPSIS: &str = "what happens in the episode, ending on its cliffhanger";

/// A member of the cast as the outline (or a one-shot answer) writes it.
fn cast_member() -> Value {
    object(vec![
        (
            "name",
            "the character's full name, different from every other character's",
            string(),
        ),
        (
            "description",
            "look and personality, detailed enough to draw the same character in every shot",
            string(),
        ),
        ("gender", "the character's gender, or null", nullable_string()),
        ("main", "true for a lead character", json!({"type": "boolean"})),
        (
            "voice_description",
            "the voice, for casting, or null",
            nullable_string(),
        ),
    ])
}

/// How many episodes an outline may have: exactly the count asked for
/// (by the request, or by the premise), 1 to 12 otherwise.
pub fn episode_bounds(episodes: Option<u32>) -> (u32, u32) {
    episodes.map_or((1, 12), |n| (n, n))
}

/// How many scenes an episode may have: exactly the count asked for, 3 to 6 otherwise.
pub fn scene_bounds(scenes: Option<u32>) -> (u32, u32) {
    scenes.map_or((3, 6), |n| (n, n))
}

fn outline_episode() -> Value {
    object(vec![
        ("title", "the episode's title", string()),
        ("synopsis", SYNOPSIS, string()),
    ])
}

/// Stage 1: the outline, with the episode count of [`episode_bounds`].
pub fn outline(episodes: Option<u32>) -> JsonSchema {
    let (min, max) = episode_bounds(episodes);
    JsonSchema {
        name: "drama_outline".into(),
        schema: object(vec![
            ("title", "the drama's title", string()),
            ("description", "the drama's logline, one paragraph", string()),
            (
                "look",
                "the visual style of the whole drama in one line: medium, palette, light and lens",
                string(),
            ),
            ("characters", "the cast", array(cast_member(), Some(1), Some(8))),
            (
                "episodes",
                "the episodes, in order",
                array(outline_episode(), Some(min), Some(max)),
            ),
        ]),
    }
}

/// More episodes for an outline that came back short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoreEpisodes {
    /// The missing episodes, in order.
    pub episodes: Vec<OutlineEpisode>,
}

/// Stage 1, topped up: exactly `missing` more episodes.
pub fn more_episodes(missing: u32) -> JsonSchema {
    JsonSchema {
        name: "more_episodes".into(),
        schema: object(vec![(
            "episodes",
            "the missing episodes, in order",
            array(outline_episode(), Some(missing), Some(missing)),
        )]),
    }
}

fn scenes_schema(name: &str, character_ids: &[String], min: u32, max: u32, durations: &[u32]) -> JsonSchema {
    let scenes = (
        "scenes",
        "the scenes, in order",
        array(scene(character_ids, durations), Some(min), Some(max)),
    );
    let fields = if name == "more_scenes" {
        vec![scenes]
    } else {
        vec![scenes, ("music", MUSIC, string())]
    };
    JsonSchema {
        name: name.into(),
        schema: object(fields),
    }
}

/// Stage 2: the scenes of one episode ([`scene_bounds`]); references
/// constrained to the cast by `enum`.
pub fn episode(character_ids: &[String], scenes: Option<u32>, durations: &[u32]) -> JsonSchema {
    let (min, max) = scene_bounds(scenes);
    scenes_schema("episode_scenes", character_ids, min, max, durations)
}

/// Stage 2, topped up: exactly `missing` more scenes of one episode.
pub fn more_scenes(character_ids: &[String], missing: u32, durations: &[u32]) -> JsonSchema {
    scenes_schema("more_scenes", character_ids, missing, missing, durations)
}

/// Improvement: a whole rewritten episode of `min` to `max` scenes.
pub fn rewritten_episode(character_ids: &[String], (min, max): (u32, u32), durations: &[u32]) -> JsonSchema {
    JsonSchema {
        name: "rewritten_episode".into(),
        schema: object(vec![
            ("title", "the episode's title", string()),
            ("synopsis", SYNOPSIS, string()),
            (
                "scenes",
                "every scene of the episode, in order",
                array(scene(character_ids, durations), Some(min), Some(max)),
            ),
            ("music", MUSIC, string()),
        ]),
    }
}

/// The plan of an improvement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImprovePlan {
    /// What will change and why.
    pub summary: String,
    /// A new title, if the feedback calls for one.
    pub title: Option<String>,
    /// A new logline, if the feedback calls for one.
    pub description: Option<String>,
    /// The episodes to rewrite.
    pub episodes: Vec<EpisodeChange>,
}

/// One episode to rewrite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeChange {
    /// Its id.
    pub episode_id: String,
    /// What to do.
    pub instructions: String,
}

/// Improvement, step 1: which episodes change (ids constrained by `enum`).
pub fn improve_plan(episode_ids: &[String]) -> JsonSchema {
    let id = if episode_ids.is_empty() {
        string()
    } else {
        json!({"type": "string", "enum": episode_ids})
    };
    let change = object(vec![
        ("episode_id", "the id of an episode to rewrite", id),
        ("instructions", "precise instructions for its rewrite", string()),
    ]);
    JsonSchema {
        name: "improve_plan".into(),
        schema: object(vec![
            (
                "summary",
                "the plan in one paragraph: what will change and why",
                string(),
            ),
            (
                "title",
                "a new title for the drama if the feedback calls for one, otherwise null",
                nullable_string(),
            ),
            (
                "description",
                "a new logline if the feedback calls for one, otherwise null",
                nullable_string(),
            ),
            (
                "episodes",
                "only the episodes the feedback touches",
                array(change, Some(0), Some(episode_ids.len() as u32)),
            ),
        ]),
    }
}

/// Critique: scores per dimension plus free text.
pub fn critique() -> JsonSchema {
    let score = json!({"type": "integer", "minimum": 1, "maximum": 10});
    JsonSchema {
        name: "drama_critique".into(),
        schema: object(vec![
            ("summary", "the verdict in one paragraph", string()),
            ("strengths", "what works", array(string(), None, None)),
            ("weaknesses", "what does not work", array(string(), None, None)),
            ("suggestions", "concrete changes to make", array(string(), None, None)),
            (
                "scores",
                "scores from 1 to 10",
                object(vec![
                    ("hook", "the hook of the first seconds", score.clone()),
                    ("pacing", "pacing", score.clone()),
                    ("character_consistency", "characters stay themselves", score.clone()),
                    ("cliffhangers", "the episode endings", score.clone()),
                    ("visual_clarity", "how well the prompts read as 9:16 shots", score),
                ]),
            ),
            (
                "feedback",
                "the full critique as free text a writer can act on, episode by episode",
                string(),
            ),
        ]),
    }
}

/// The old way, one call for everything (baseline for benchmarks).
pub fn one_shot(episodes: u32, scenes: u32, durations: &[u32]) -> JsonSchema {
    let character = cast_member();
    let scene = object(vec![
        ("description", SCENE_ACTION, string()),
        (
            "characters",
            "the names of the characters on screen (at most 3)",
            array(string(), None, Some(3)),
        ),
        ("image_prompt", IMAGE_PROMPT, string()),
        ("video_prompt", VIDEO_PROMPT, string()),
        ("duration", DURATION, json!({"type": "integer", "enum": durations})),
    ]);
    let episode = object(vec![
        ("title", "the episode's title", string()),
        ("synopsis", SYNOPSIS, string()),
        (
            "scenes",
            "the scenes, in order",
            array(scene, Some(scenes), Some(scenes)),
        ),
    ]);
    JsonSchema {
        name: "whole_drama".into(),
        schema: object(vec![
            ("title", "the drama's title", string()),
            ("description", "the drama's logline, one paragraph", string()),
            ("characters", "the cast", array(character, Some(1), Some(8))),
            (
                "episodes",
                "the episodes, in order",
                array(episode, Some(episodes), Some(episodes)),
            ),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::strict_problems;

    #[test]
    fn every_schema_we_send_obeys_strict_mode() {
        let ids = vec!["char-a".to_string(), "char-b".to_string()];
        let eps = vec!["ep1".to_string()];
        let all = [
            outline(None),
            outline(Some(5)),
            more_episodes(2),
            more_scenes(&ids, 3, &[10, 15]),
            episode(&ids, Some(4), &[10, 15]),
            episode(&[], None, &[10]),
            rewritten_episode(&ids, (1, 2), &[10, 15]),
            improve_plan(&eps),
            improve_plan(&[]),
            critique(),
            one_shot(5, 4, &[10, 15]),
        ];
        for s in all {
            let p = strict_problems(&s.schema);
            assert!(p.is_empty(), "{}: {p:?}", s.name);
        }
    }

    #[test]
    fn the_field_guide_names_every_field_in_order() {
        let g = field_guide(&episode(&["char-a".to_string()], Some(2), &[10, 15]).schema);
        let at = |k: &str| {
            g.find(&format!("\"{k}\" ("))
                .unwrap_or_else(|| panic!("{k} missing: {g}"))
        };
        assert!(at("scenes") < at("heading") && at("heading") < at("lines") && at("lines") < at("shots"));
        assert!(at("speaker") < at("delivery") && at("delivery") < at("text") && at("shots") < at("duration"));
        assert!(at("shots") < at("music"), "{g}");
        assert!(g.contains("- \"scenes\" (a list of objects, each with these fields): the scenes, in order"));
        assert!(g.contains("    - \"duration\" (one of 10, 15)"), "{g}");
        assert!(g.contains("    - \"delivery\" (text or null)"), "{g}");
        assert!(
            g.contains("    - \"setting\" (one of \"interior\", \"exterior\", \"both\")"),
            "{g}"
        );
        let c = field_guide(&critique().schema);
        assert!(
            c.contains("  - \"hook\" (an integer): the hook of the first seconds"),
            "{c}"
        );
        assert!(c.contains("\"strengths\" (a list, each item text)"), "{c}");
    }

    #[test]
    fn top_ups_keep_the_order_of_the_first_call() {
        let ids = vec!["char-a".to_string()];
        let scene = |s: &JsonSchema| s.schema["properties"]["scenes"]["items"]["required"].clone();
        assert_eq!(scene(&more_scenes(&ids, 2, &[10])), scene(&episode(&ids, None, &[10])));
        let more = more_episodes(2).schema;
        let first = outline(None).schema;
        assert_eq!(
            more["properties"]["episodes"]["items"]["required"],
            first["properties"]["episodes"]["items"]["required"]
        );
        assert_eq!(first["required"][0], json!("title"));
    }

    #[test]
    fn references_are_constrained_by_enum() {
        let ids = vec!["char-a".to_string()];
        let s = episode(&ids, Some(2), &[10, 15]).schema;
        let scene = &s["properties"]["scenes"]["items"]["properties"];
        let shot = &scene["shots"]["items"]["properties"];
        assert_eq!(shot["characters"]["items"]["enum"], json!(["char-a"]));
        assert_eq!(shot["characters"]["maxItems"], json!(3));
        assert_eq!(shot["duration"]["enum"], json!([10, 15]));
        assert_eq!(
            (scene["shots"]["minItems"].clone(), scene["shots"]["maxItems"].clone()),
            (json!(2), json!(4))
        );
        assert_eq!(
            scene["lines"]["items"]["properties"]["speaker"]["enum"],
            json!(["char-a", null])
        );
        assert_eq!(s["properties"]["scenes"]["minItems"], json!(2));
    }
}
