//! The OpenAPI description of the media routes: renders, the old server's
//! aliases, uploads and `/media/{key}`. `openapi.rs` asks here first.

use http::Method;
use serde_json::{Value, json};

use crate::router::Endpoint as E;

const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,128}$";
/// The types an upload may have, as the contract lists them.
const UPLOAD_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/webp",
    "video/mp4",
    "audio/mpeg",
    "audio/wav",
];

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A file of any stored type.
fn binary() -> Value {
    let types = UPLOAD_TYPES
        .iter()
        .map(|t| (t.to_string(), json!({"schema": {"type": "string", "format": "binary"}})));
    Value::Object(types.collect())
}

/// The types a voice sample may have.
fn voice_types() -> Value {
    let types = ["audio/mpeg", "audio/wav", "audio/mp4", "audio/ogg", "audio/webm"]
        .iter()
        .map(|t| (t.to_string(), json!({"schema": {"type": "string", "format": "binary"}})));
    Value::Object(types.collect())
}

fn error() -> Value {
    json!({"description": "error", "content": {"application/json": {"schema": r("ErrorResponse")}}})
}

fn ok(status: u16, schema: Value) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": "success", "content": {"application/json": {"schema": schema}}}),
    )
}

/// The schemas the media routes use, merged into `components.schemas`.
pub fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    let kinds = json!({"type": "array", "items": {"type": "string", "enum": ["image", "video", "audio"]}});
    let ids = json!({"type": "array", "items": {"type": "string"}});
    json!({
        "RenderRequest": {"type": "object", "description": "What to render; an empty body renders everything missing or stale.",
            "properties": {"episodes": ids, "characters": ids, "assets": ids, "kinds": kinds,
                "force": s("boolean"), "dryRun": s("boolean"),
                "candidates": {"type": "integer", "minimum": 1, "maximum": 8, "description": "candidates per image, the judge keeps the best (default SFD_RENDER_CANDIDATES, else 1)"}}},
        "AssetRenderRequest": {"type": "object", "properties": {"force": s("boolean")}},
        "ChooseCandidate": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string", "description": "a candidate's key (or url) from metadata.render.candidates"}}},
        "PlanNode": {"type": "object", "required": ["assetId", "owner", "kind", "dependsOn", "level", "action", "estimatedCostUsd"],
            "properties": {"assetId": s("string"), "owner": s("string"),
                "kind": {"type": "string", "enum": ["image", "video", "audio"]}, "dependsOn": ids, "level": s("integer"),
                "action": {"type": "string", "enum": ["render", "skip", "stale", "blocked"]},
                "reason": {"type": ["string", "null"]}, "estimatedCostUsd": s("number"),
                "sent": {"type": ["object", "null"], "description": "What the provider will be sent, fitted to what it accepts (a refused node is blocked, its reason naming the limit).",
                    "properties": {"durationSeconds": {"type": ["integer", "null"]}, "aspectRatio": s("string"),
                        "references": ids, "notes": {"type": "array", "items": s("string"), "description": "e.g. 7 s snapped to 5 s"}}},
                "candidates": {"type": "object", "description": "best-of-N: candidates per round, the judge's model and its estimated cost (included in estimatedCostUsd)",
                    "properties": {"count": s("integer"), "judge": s("string"), "judgeCostUsd": s("number")}}}},
        "RenderPlan": {"type": "object", "required": ["nodes", "levels", "estimatedCostUsd"], "properties": {
            "nodes": {"type": "array", "items": r("PlanNode")}, "levels": s("integer"), "estimatedCostUsd": s("number")}},
        "CoverPhoto": {"type": "object", "required": ["url"], "properties": {"url": s("string")}},
        "AssembleRequest": {"type": "object", "properties": {
            "subtitles": {"type": "string", "enum": ["track", "burn", "none"], "default": "track"},
            "audio": {"type": "string", "enum": ["speech", "video", "mix"], "default": "speech"}}},
    })
}

fn path_params(template: &str) -> Vec<Value> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if name == "key" {
                json!({"type": "string", "description": "the stored key, media/{dramaId}/{file}; slashes allowed"})
            } else {
                json!({"type": "string", "pattern": ID_PATTERN})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// An operation's summary, request body, answers and error statuses.
type Described = (&'static str, Option<Value>, Vec<(String, Value)>, &'static [u16]);

/// The operation of `endpoint` (at `template`) for `m`, when it is a media route.
pub fn operation(endpoint: E, template: &str, m: &Method) -> Option<Value> {
    const START: &[u16] = &[400, 401, 404, 413, 415, 422, 429, 503];
    let job = || ok(202, r("JobResponse"));
    let json_body = |schema: Value| json!({"required": false, "content": {"application/json": {"schema": schema}}});
    let (summary, body, success, errors): Described = match (endpoint, m.as_str()) {
        (E::Render, _) => (
            "Render every selected asset that is missing or stale, in depends_on order (202 with a render_drama job); with dryRun, answer the plan and its cost (200) without calling or writing anything. While a render of the drama is pending or running (on any replica) a new one answers 409 naming that job",
            Some(json_body(r("RenderRequest"))),
            vec![ok(200, r("RenderPlan")), job()],
            &[400, 401, 404, 409, 413, 415, 422, 429, 503],
        ),
        (E::AssetRender, _) => (
            "Render this asset (and first what it needs that was never rendered); the job type follows the asset's kind",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::AssetChoose, _) => (
            "Keep another best-of-N candidate (its key from metadata.render.candidates): the asset, its scene's image_url or character's url point at it, and what takes it as an input becomes stale; 422 when it is not a candidate",
            Some(json!({"required": true, "content": {"application/json": {"schema": r("ChooseCandidate")}}})),
            vec![ok(200, r("Asset"))],
            &[400, 401, 404, 409, 413, 415, 422, 429, 503],
        ),
        (E::AssetContent, _) => (
            "Store your own file as the asset's content (streamed; 413 past SFD_MEDIA_LIMIT, 415 for other types)",
            Some(json!({"required": true, "content": binary()})),
            vec![ok(200, r("Asset"))],
            &[400, 401, 404, 413, 415, 422, 429, 503],
        ),
        (E::VoiceSample, "DELETE") => (
            "Remove the character's reference voice clip (and the voice cloned from it): its lines speak in metadata.voice again, and become stale",
            None,
            vec![ok(200, r("Character"))],
            &[400, 401, 404, 429, 503],
        ),
        (E::VoiceSample, _) => (
            "Store a reference voice clip of the character (the raw audio: audio/mpeg, audio/wav, audio/mp4, audio/ogg or audio/webm; 413 past 20 MiB or SFD_MEDIA_LIMIT, 415 for other types or bytes that are not that type) as its metadata.voice_sample {key, url, hash, contentType, bytes, seconds?}. Speech providers that clone voices (ElevenLabs, MiniMax) clone it once and every line of the character speaks in that voice (kept as metadata.voice_clone); its lines become stale",
            Some(json!({"required": true, "content": voice_types()})),
            vec![ok(200, r("Character"))],
            &[400, 401, 404, 413, 415, 422, 429, 503],
        ),
        (E::DramaGenerate, _) => (
            "The old server's name for rendering the whole drama",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::EpisodeGenerate, _) => (
            "The old server's name for rendering one episode",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::CharacterGenerate, _) => (
            "Render the character's portrait ({cid}-portrait, added when missing)",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::Audition, "GET") => (
            "The character's audition clip, once rendered (404 until then)",
            None,
            vec![ok(200, r("Asset"))],
            &[400, 401, 404, 429, 503],
        ),
        (E::Audition, _) => (
            "Render a short audition clip of the character from its portrait",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::Cover, "GET") => (
            "The drama's cover URL, once rendered (404 until then)",
            None,
            vec![ok(200, r("CoverPhoto"))],
            &[400, 401, 404, 429, 503],
        ),
        (E::Cover, _) => (
            "Render the drama's cover from its main characters' portraits",
            Some(json_body(r("AssetRenderRequest"))),
            vec![job()],
            START,
        ),
        (E::Assemble, _) => (
            "Stitch the episode's scenes into one 9:16 MP4 (H.264, AAC) with speech and subtitles (202 with an assemble_episode job); a scene without a clip shows its image; 422 without scenes, 503 without ffmpeg",
            Some(json_body(r("AssembleRequest"))),
            vec![job()],
            START,
        ),
        (E::Export, _) => (
            "The drama as a Fountain screenplay, an episode's SRT (episode=…), a CSV shot list, or a ZIP of the JSON and every rendered file; or one episode's timeline for an editor: OpenTimelineIO (otio), Final Cut Pro XML 1.10 (fcpxml), a CMX 3600 EDL of the picture (edl) or a CapCut/Jianying draft folder as a ZIP with its media (capcut); a timeline references its media by URL, or with bundle=zip comes as a ZIP holding them under relative paths; 409 when scenes lack rendered clips, naming them (streamed)",
            None,
            vec![(
                "200".into(),
                json!({"description": "the export, as an attachment", "content": {
                    "text/plain": {"schema": {"type": "string"}}, "application/x-subrip": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}},
                    "application/xml": {"schema": {"type": "string"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}}}}),
            )],
            &[400, 401, 404, 409, 422, 429, 503],
        ),
        (E::Media, _) => (
            "A stored media file (no key needed): ETag, If-None-Match → 304, Range → 206, cached as immutable",
            None,
            vec![
                ("200".into(), json!({"description": "the file", "content": binary()})),
                (
                    "206".into(),
                    json!({"description": "the asked range", "content": binary()}),
                ),
                ("304".into(), json!({"description": "not modified (If-None-Match)"})),
            ],
            &[404, 416, 503],
        ),
        _ => return None,
    };
    let mut params = path_params(template);
    if endpoint == E::Export {
        let formats: Vec<&str> = sfd_core::ExportFormat::ALL.iter().map(|f| f.name()).collect();
        params.push(
            json!({"name": "format", "in": "query", "required": true, "schema": {"type": "string", "enum": formats}}),
        );
        params.push(json!({"name": "episode", "in": "query", "schema": {"type": "string", "pattern": ID_PATTERN}, "description": "the episode of an SRT or a timeline (otio, fcpxml, edl, capcut); may be left out when the drama has one"}));
        params.push(json!({"name": "bundle", "in": "query", "schema": {"type": "string", "enum": ["zip"]}, "description": "a timeline as a ZIP with its media under relative paths, instead of by URL"}));
    }
    if endpoint == E::Media {
        params.push(json!({"name": "Range", "in": "header", "schema": {"type": "string"}, "description": "bytes=start-end, one range"}));
        params.push(json!({"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}));
    }
    let mut responses = serde_json::Map::new();
    for (status, answer) in success {
        responses.insert(status, answer);
    }
    for code in errors {
        responses.insert(code.to_string(), error());
    }
    responses.insert("default".into(), error());
    let mut op = json!({"summary": summary, "parameters": params, "responses": responses});
    if let Some(b) = body {
        op["requestBody"] = b;
    }
    if endpoint == E::Media {
        op["security"] = json!([]);
    }
    Some(op)
}
