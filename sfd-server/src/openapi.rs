//! The OpenAPI 3.1 description of every route (served at `/openapi.json`)
//! and the offline, interactive docs page (served at `/docs`).

use std::sync::LazyLock;

use http::{HeaderValue, Method, Response, header};
use serde_json::{Map, Value, json};

use sfd_core::{JobType, level_by_plural};

use crate::http::{Body, full};
use crate::router::ROUTES;

/// The spec, built once.
pub static SPEC: LazyLock<Value> = LazyLock::new(build);

const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,128}$";

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

const SCENE_DOC: &str = "A scene and its assets. Its shots are its video assets in order, each depending on its \
keyframe image (which depends on the characters in the shot); its dialogue lines are its audio assets in order, \
the prompt the spoken text, the first `depends_on` entry the speaking character (none: a narrator). An \
episode's audio asset is its music, the prompt its mood.";

/// `scene` with an example of a scene with a heading, two shots and a line.
fn screenplay_example(mut scene: Value) -> Value {
    scene["examples"] = json!([{
        "id": "ep1-sc1", "heading": {"setting": "interior", "location": "lighthouse", "time": "night"},
        "description": "Mara climbs to the lamp room and finds the keeper gone.",
        "image_url": null, "video_url": null, "metadata": null,
        "assets": [
            {"id": "ep1-sc1-sh1-img", "kind": "image", "depends_on": ["char-mara"], "prompt": "Mara on the stairs, lamp light", "duration": null, "url": null, "metadata": null},
            {"id": "ep1-sc1-sh1-vid", "kind": "video", "depends_on": ["ep1-sc1-sh1-img"], "prompt": "Mara climbs, breathing hard", "duration": 4, "framing": "wide", "camera": "tilt up", "url": null, "metadata": null},
            {"id": "ep1-sc1-sh2-img", "kind": "image", "depends_on": ["char-mara"], "prompt": "Close on Mara's face", "duration": null, "url": null, "metadata": null},
            {"id": "ep1-sc1-sh2-vid", "kind": "video", "depends_on": ["ep1-sc1-sh2-img"], "prompt": "She sees the empty chair", "duration": 4, "framing": "close-up", "camera": "static", "url": null, "metadata": null},
            {"id": "ep1-sc1-ln1", "kind": "audio", "depends_on": ["char-mara"], "prompt": "Where did you go?", "delivery": "whispering", "duration": null, "url": null, "metadata": null}
        ]
    }]);
    scene
}

fn schemas() -> Value {
    let id = json!({"type": "string", "pattern": ID_PATTERN});
    let meta = json!({"type": ["object", "null"]});
    let asset_props = json!({
        "id": id, "kind": {"type": "string", "enum": ["image", "video", "audio"]},
        "depends_on": {"type": "array", "items": {"type": "string"}},
        "prompt": {"type": "string"}, "duration": nullable("integer"), "url": nullable("string"), "metadata": meta,
        "framing": {"type": "string", "description": "a shot's framing (close-up, medium, wide…); scene videos; absent when unset"},
        "camera": {"type": "string", "description": "a shot's camera move (static, dolly in…); scene videos; absent when unset"},
        "delivery": {"type": "string", "description": "how a line is spoken (whispering…); scene audio; absent when unset"},
    });
    let scene_props = json!({
        "id": id, "description": {"type": "string"}, "image_url": nullable("string"),
        "video_url": nullable("string"), "assets": {"type": "array", "items": r("Asset")}, "metadata": meta,
        "heading": r("Heading"),
    });
    let episode_props = json!({
        "id": id, "title": {"type": "string"}, "description": {"type": "string"}, "premise": nullable("string"),
        "url": nullable("string"), "scenes": {"type": "array", "items": r("Scene")},
        "assets": {"type": "array", "items": r("Asset")}, "metadata": meta,
    });
    let character_props = json!({
        "id": id, "name": {"type": "string"}, "description": {"type": "string"}, "gender": nullable("string"),
        "voice_description": nullable("string"), "main": {"type": "boolean"}, "url": nullable("string"),
        "premise_url": nullable("string"), "assets": {"type": "array", "items": r("Asset")}, "metadata": meta,
    });
    let entity = |props: &Value, required: &[&str], doc: &str| {
        json!({"type": "object", "description": doc, "properties": props, "required": required,
               "additionalProperties": true})
    };
    let new_entity = |props: &Value, required: &[&str], doc: &str| {
        let mut p = props.clone();
        p["id"] = json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{0,128}$",
                         "description": "optional; a slug is assigned when missing or empty"});
        entity(&p, required, doc)
    };
    let s = |t: &str| json!({"type": t});
    let job_status = json!({"type": "string", "enum": ["pending", "processing", "completed", "failed", "cancelled"]});
    json!({
        "Asset": entity(&asset_props, &["id", "kind", "prompt"], "An image, video or audio prompt, plus its URL once rendered. Unknown fields are kept."),
        "NewAsset": new_entity(&asset_props, &["kind", "prompt"], "An asset to create."),
        "Scene": screenplay_example(entity(&scene_props, &["id", "description"], SCENE_DOC)),
        "Heading": {"type": "object", "additionalProperties": true, "required": ["setting", "location", "time"],
            "description": "A scene heading; written as a slugline such as `INT. LIGHTHOUSE - NIGHT`.",
            "properties": {"setting": {"type": "string", "enum": ["interior", "exterior", "both"]},
                "location": s("string"), "time": {"type": "string", "description": "time of day"}}},
        "NewScene": new_entity(&scene_props, &["description"], "A scene to create."),
        "Episode": entity(&episode_props, &["id", "title", "description"], "An episode and its scenes."),
        "NewEpisode": new_entity(&episode_props, &["title", "description"], "An episode to create."),
        "Character": entity(&character_props, &["id", "name", "description"], "A character."),
        "NewCharacter": new_entity(&character_props, &["name", "description"], "A character to create."),
        "Drama": {"type": "object", "additionalProperties": true,
            "description": "A whole short-form drama. Unknown fields are kept at every level.",
            "required": ["id", "title", "description", "premise"],
            "properties": {"id": id, "title": s("string"), "description": s("string"), "premise": s("string"),
                "url": nullable("string"), "characters": {"type": "array", "items": r("Character")},
                "episodes": {"type": "array", "items": r("Episode")}, "assets": {"type": "array", "items": r("Asset")},
                "metadata": meta}},
        "DramaSummary": {"type": "object", "required": ["id", "title", "description", "premise"],
            "properties": {"id": s("string"), "title": s("string"), "description": s("string"), "premise": s("string"),
                "url": nullable("string"), "metadata": meta, "updated_at": nullable("integer"),
                "error": {"type": ["string", "null"], "description": "set when the stored document cannot be read"}}},
        "DramaPage": {"type": "object", "required": ["dramas", "cursor"],
            "description": "Dramas in ascending id order (byte-wise). `cursor` is opaque and null on the last page.",
            "properties": {"dramas": {"type": "array", "items": {"anyOf": [r("DramaSummary"), r("Drama")]}},
                "cursor": nullable("string")}},
        "GenerateRequest": {"type": "object", "required": ["premise"], "properties": {
            "premise": {"type": "string", "minLength": 1}, "id": {"type": ["string", "null"], "pattern": ID_PATTERN},
            "model": nullable("string"), "episodes": {"type": ["integer", "null"], "minimum": 1, "maximum": 20},
            "scenes_per_episode": {"type": ["integer", "null"], "minimum": 1, "maximum": 12}}},
        "ImportRequest": {"type": "object", "required": ["drama"], "properties": {"drama": r("Drama")}},
        "DramaPatch": {"type": "object", "additionalProperties": false, "properties": {
            "title": s("string"), "description": s("string"), "premise": s("string"), "metadata": meta}},
        "CharacterPatch": {"type": "object", "additionalProperties": false, "properties": {
            "name": s("string"), "description": s("string"), "gender": nullable("string"),
            "voice_description": nullable("string"), "main": s("boolean"), "url": nullable("string"), "metadata": meta}},
        "EpisodePatch": {"type": "object", "additionalProperties": false, "properties": {
            "title": s("string"), "description": s("string"), "premise": nullable("string"),
            "url": nullable("string"), "metadata": meta}},
        "ScenePatch": {"type": "object", "additionalProperties": false, "properties": {
            "heading": {"anyOf": [r("Heading"), s("null")]},
            "description": s("string"), "image_url": nullable("string"), "video_url": nullable("string"), "metadata": meta}},
        "AssetPatch": {"type": "object", "additionalProperties": false, "properties": {
            "prompt": s("string"), "url": nullable("string"), "duration": nullable("integer"),
            "depends_on": {"type": "array", "items": s("string")}, "metadata": meta,
            "framing": nullable("string"), "camera": nullable("string"), "delivery": nullable("string")}},
        "Progress": {"type": "object", "required": ["stage", "done", "total"], "properties": {
            "stage": s("string"), "done": s("integer"), "total": s("integer"),
            "retries": s("integer"), "note": s("string")}},
        "JobStatusRecord": {"type": "object", "additionalProperties": true,
            "required": ["jobId", "type", "status", "dramaId", "createdAt"], "properties": {
            "jobId": s("string"), "type": {"type": "string", "enum": JobType::ALL},
            "status": job_status, "dramaId": s("string"), "createdAt": s("integer"), "startedAt": nullable("integer"),
            "completedAt": nullable("integer"), "error": nullable("string"), "result": meta,
            "progress": {"anyOf": [r("Progress"), {"type": "null"}]}, "attempts": s("integer")}},
        "JobList": {"type": "object", "required": ["jobs"], "properties": {"jobs": {"type": "array", "items": r("JobStatusRecord")}}},
        "JobResponse": {"type": "object", "required": ["dramaId", "jobId", "status", "message"], "properties": {
            "dramaId": s("string"), "jobId": s("string"), "status": job_status, "message": s("string")}},
        "ImproveDramaRequest": {"type": "object", "required": ["feedback"], "properties": {
            "feedback": {"type": "string", "minLength": 1}, "newDramaId": {"type": ["string", "null"], "pattern": ID_PATTERN},
            "model": nullable("string")}},
        "ImproveDramaResponse": {"type": "object", "required": ["originalId", "improvedId", "jobId", "status", "message"],
            "properties": {"originalId": s("string"), "improvedId": s("string"), "jobId": s("string"),
            "status": job_status, "message": s("string")}},
        "CriticRequest": {"type": "object", "properties": {"model": nullable("string")}},
        "CharacterList": {"type": "object", "required": ["characters"], "properties": {"characters": {"type": "array", "items": r("Character")}}},
        "EpisodeList": {"type": "object", "required": ["episodes"], "properties": {"episodes": {"type": "array", "items": r("Episode")}}},
        "SceneList": {"type": "object", "required": ["scenes"], "properties": {"scenes": {"type": "array", "items": r("Scene")}}},
        "AssetList": {"type": "object", "required": ["assets"], "properties": {"assets": {"type": "array", "items": r("Asset")}}},
        "Success": {"type": "object", "required": ["success"], "properties": {"success": {"const": true}}},
        "Health": {"type": "object", "required": ["status", "timestamp", "version"], "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]}, "timestamp": s("string"), "version": s("string"),
            "storage": s("string"), "llm": s("string")}},
        "ErrorResponse": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "description": "short title, e.g. not_found"},
            "message": {"type": "string", "description": "what happened and what to do"}}},
    })
}

/// What one operation says: summary, request body, success answer, extra error statuses.
fn describe(template: &str, m: &Method) -> (String, Option<Value>, (u16, Value), &'static [u16]) {
    let item = template.ends_with('}');
    let last = template
        .trim_end_matches('/')
        .rsplit('/')
        .find(|s| !s.starts_with('{'))
        .unwrap_or("");
    // A level's schemas are named after it: `Scene`, `SceneList`, `ScenePatch`, `NewScene`.
    let (entity, list) = match level_by_plural(last) {
        Some(level) => (level.schema(), format!("{}List", level.schema())),
        None => ("Drama".to_string(), "DramaPage".to_string()),
    };
    let patch = format!("{entity}Patch");
    let entity = entity.as_str();
    let body = |name: &str| Some(r(name));
    const READ: &[u16] = &[400, 401, 404, 429, 503];
    const WRITE: &[u16] = &[400, 401, 404, 409, 412, 413, 415, 422, 429, 503];
    const START: &[u16] = &[400, 401, 404, 409, 413, 415, 422, 429, 503];
    match (template, m.as_str()) {
        ("/health", _) => (
            "Liveness, version and storage reachability (no key needed)".into(),
            None,
            (200, r("Health")),
            &[503],
        ),
        ("/openapi.json", _) => (
            "This OpenAPI document (no key needed)".into(),
            None,
            (200, json!({"type": "object"})),
            &[],
        ),
        ("/docs", _) => (
            "Interactive API docs, offline (no key needed)".into(),
            None,
            (200, json!({"type": "string"})),
            &[],
        ),
        ("/metrics", _) => (
            "Prometheus metrics, text format 0.0.4: HTTP requests by route template, storage, jobs, LLM and render calls (needs the key unless SFD_METRICS_PUBLIC=1)".into(),
            None,
            (200, json!({"type": "string"})),
            &[401, 429, 503],
        ),
        ("/dramas", "GET") => (
            "List dramas in ascending id order, a page at a time".into(),
            None,
            (200, r("DramaPage")),
            READ,
        ),
        ("/dramas", _) => (
            "Generate a drama from a premise (202 with a job) or store a given drama (201)".into(),
            Some(json!({"oneOf": [r("GenerateRequest"), r("ImportRequest")]})),
            (201, r("Drama")),
            START,
        ),
        ("/dramas/{id}", "GET") => ("Get a drama; ETag is its version".into(), None, (200, r("Drama")), READ),
        ("/dramas/{id}", "PATCH") => (
            "Update the drama's head fields".into(),
            body("DramaPatch"),
            (200, r("Drama")),
            WRITE,
        ),
        ("/dramas/{id}", _) => ("Delete a drama".into(), None, (200, r("Success")), WRITE),
        ("/dramas/{id}/improve", _) => (
            "Improve a drama from feedback into a new drama (job listed under the new id)".into(),
            body("ImproveDramaRequest"),
            (202, r("ImproveDramaResponse")),
            START,
        ),
        ("/dramas/{id}/critic" | "/dramas/{id}/critique", _) => (
            "Critique a drama; the job result holds {feedback} (`/critique` is the old viewer's name)".into(),
            body("CriticRequest"),
            (202, r("JobResponse")),
            START,
        ),
        ("/dramas/{id}/jobs", _) => ("The drama's jobs, oldest first".into(), None, (200, r("JobList")), READ),
        ("/dramas/{id}/jobs/{jobId}", _) => ("One job of the drama".into(), None, (200, r("JobStatusRecord")), READ),
        ("/dramas/{id}/jobs/{jobId}/cancel", _) => (
            "Cancel a pending or running job".into(),
            None,
            (200, r("JobStatusRecord")),
            WRITE,
        ),
        ("/dramas/{id}/jobs/{jobId}/events", _) => (
            "Server-Sent Events: `status` and `progress` events carrying the job, then `end`; a `: keep-alive` comment every 15 s while quiet".into(),
            None,
            (
                200,
                json!({"type": "object", "description": "one event; `data` is a JobStatusRecord as JSON",
                         "properties": {"event": {"type": "string", "enum": ["status", "progress", "end"]},
                                        "data": {"type": "string"}, "id": {"type": "string"}}}),
            ),
            READ,
        ),
        (_, "GET") if item => (
            format!("Get one {}", entity.to_lowercase()),
            None,
            (200, r(entity)),
            READ,
        ),
        (_, "GET") => (format!("List the {last}"), None, (200, r(&list)), READ),
        (_, "POST") => (
            format!("Create {} {} (id optional)", article(&entity.to_lowercase()), entity.to_lowercase()),
            body(&format!("New{entity}")),
            (201, r(entity)),
            WRITE,
        ),
        (_, "PATCH") => (
            format!("Update {} {}", article(&entity.to_lowercase()), entity.to_lowercase()),
            body(&patch),
            (200, r(entity)),
            WRITE,
        ),
        _ => (
            format!(
                "Delete {} {} and every reference to it",
                article(&entity.to_lowercase()),
                entity.to_lowercase()
            ),
            None,
            (200, r("Success")),
            WRITE,
        ),
    }
}

fn params(template: &str, m: &Method) -> Vec<Value> {
    let mut out: Vec<Value> = template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "pattern": ID_PATTERN}}))
        .collect();
    if template == "/dramas" && m == Method::GET {
        out.push(json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
        out.push(json!({"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "from the previous page; 400 if not issued by the server"}));
        out.push(json!({"name": "view", "in": "query", "schema": {"type": "string", "enum": ["summary", "full"], "default": "summary"}}));
    }
    let versioned = template.starts_with("/dramas/")
        && !template.contains("/jobs")
        && !template.ends_with("improve")
        && !template.ends_with("critic")
        && !template.ends_with("critique");
    if versioned && (m == Method::PATCH || m == Method::DELETE || m == Method::POST) {
        out.push(json!({"name": "If-Match", "in": "header", "schema": {"type": "string"}, "description": "the ETag of a GET; 412 if the drama changed since"}));
    }
    if versioned && m == Method::GET {
        out.push(json!({"name": "If-None-Match", "in": "header", "schema": {"type": "string"}, "description": "304 when it still matches"}));
    }
    out
}

/// The core schemas and the media routes' ones.
fn all_schemas() -> Value {
    let mut all = schemas();
    for more in [crate::openapi_media::schemas(), crate::openapi_library::schemas()] {
        if let (Some(all), Value::Object(more)) = (all.as_object_mut(), more) {
            all.extend(more);
        }
    }
    all
}

/// "a" or "an", by how `word` starts when read aloud.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn build() -> Value {
    let mut paths = Map::new();
    for (template, methods) in ROUTES.iter() {
        let mut item = Map::new();
        for m in *methods {
            let special = crate::openapi_media::operation(template, m)
                .or_else(|| crate::openapi_doors::operation(template, m))
                .or_else(|| crate::openapi_library::operation(template, m));
            if let Some(op) = special {
                item.insert(m.as_str().to_ascii_lowercase(), op);
                continue;
            }
            let (summary, body, (status, schema), errors) = describe(template, m);
            let media = if template.ends_with("/events") {
                "text/event-stream"
            } else if *template == "/docs" {
                "text/html"
            } else if *template == "/metrics" {
                "text/plain"
            } else {
                "application/json"
            };
            let mut responses = Map::new();
            responses.insert(
                status.to_string(),
                json!({"description": "success", "content": {media: {"schema": schema}}}),
            );
            if *template == "/dramas" && m == Method::POST {
                responses.insert("202".into(), json!({"description": "generation queued", "content": {"application/json": {"schema": r("JobResponse")}}}));
            }
            if m == Method::GET && template.starts_with("/dramas/") && !template.contains("/jobs") {
                responses.insert("304".into(), json!({"description": "not modified (If-None-Match)"}));
            }
            for code in errors {
                responses.insert(
                    code.to_string(),
                    json!({"description": "error", "content": {"application/json": {"schema": r("ErrorResponse")}}}),
                );
            }
            responses.insert("default".into(), json!({"description": "any other error", "content": {"application/json": {"schema": r("ErrorResponse")}}}));
            let mut op = json!({"summary": summary, "parameters": params(template, m), "responses": responses});
            let versioned = template.starts_with("/dramas/") && !template.contains("/jobs");
            if versioned && m == Method::GET {
                op["description"] =
                    json!("Sends the drama's version as `ETag`; with `If-None-Match` set to it, answers 304.");
            } else if versioned && (m == Method::PATCH || m == Method::DELETE || m == Method::POST) {
                op["description"] = json!("Honours `If-Match` (the `ETag` of a GET): 412 if the drama changed since.");
            }
            if let Some(b) = body {
                let required = !template.ends_with("/critic") && !template.ends_with("/critique");
                op["requestBody"] = json!({"required": required, "content": {"application/json": {"schema": b}}});
            }
            if ["/health", "/openapi.json", "/docs"].contains(template) {
                op["security"] = json!([]);
            }
            item.insert(m.as_str().to_ascii_lowercase(), op);
        }
        paths.insert((*template).to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "sfd", "version": env!("CARGO_PKG_VERSION"),
                 "description": "AI short-form dramas: generate, improve, critique, store and edit. Every error is {\"error\", \"message\"}. Writes honour If-Match (412 on mismatch); reads send the drama version as ETag."},
        "servers": [{"url": "/"}],
        "security": [{"ApiKey": []}],
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": all_schemas(),
        },
        "paths": paths,
    })
}

/// Scripts and styles only from this server; Swagger UI sets inline styles
/// and shows `data:` images; calls go only to this API.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The docs page: Swagger UI (vendored, embedded) over `/openapi.json`,
/// with try-it on every operation; no network beyond this server.
pub fn docs_page() -> Response<Body> {
    let mut r = Response::new(full(crate::studio::DOCS_HTML));
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    hs.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
    hs.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_and_router_list_the_same_operations() {
        let mut from_spec: Vec<(String, String)> = Vec::new();
        for (path, item) in SPEC["paths"].as_object().unwrap() {
            for m in item.as_object().unwrap().keys() {
                from_spec.push((path.clone(), m.to_ascii_uppercase()));
            }
        }
        let mut from_router: Vec<(String, String)> = ROUTES
            .iter()
            .flat_map(|(t, ms)| ms.iter().map(move |m| (t.to_string(), m.to_string())))
            .collect();
        from_spec.sort();
        from_router.sort();
        assert_eq!(from_spec, from_router);
    }

    /// The levels' operations (method, path, summary) are those main had
    /// before the levels were described once (`testdata/nested_operations.txt`).
    #[test]
    fn nested_operations_are_unchanged() {
        let levels = sfd_core::levels();
        let nested = |path: &str| {
            levels.iter().any(|l| {
                l.parents
                    .iter()
                    .any(|p| [l.collection_template(p), l.item_template(p)].contains(&path.to_string()))
            })
        };
        let mut got: Vec<String> = Vec::new();
        for (path, item) in SPEC["paths"].as_object().unwrap() {
            for (m, op) in item.as_object().unwrap().iter().filter(|_| nested(path)) {
                let summary = op["summary"].as_str().unwrap();
                got.push(format!("{} {path} {summary}", m.to_ascii_uppercase()));
            }
        }
        got.sort();
        let want: Vec<&str> = include_str!("testdata/nested_operations.txt").lines().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn every_reference_resolves() {
        let text = SPEC.to_string();
        for name in text
            .split("#/components/schemas/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap_or(""))
        {
            assert!(
                SPEC["components"]["schemas"].get(name).is_some(),
                "missing schema {name}"
            );
        }
    }
}
