//! The OpenAPI description of the asset library's routes (`/asset-library/…`).
//! `openapi.rs` asks here after the media routes.

use http::Method;
use serde_json::{Value, json};

use crate::router::Endpoint as E;

const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,128}$";

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn types() -> Value {
    json!({"type": "string", "enum": ["image", "video", "text"]})
}

fn tags() -> Value {
    json!({"type": "string", "enum": ["character", "storyboard", "clip"]})
}

/// The schemas the library routes use, merged into `components.schemas`.
pub fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    json!({
        "LibraryAsset": {"type": "object", "additionalProperties": true,
            "description": "A library asset's record, as stored (fields an uploader added in `metadata` are kept at the top level).",
            "required": ["asset_id", "asset_type", "tag", "r2_key"],
            "properties": {"asset_id": s("string"), "asset_type": types(), "tag": tags(), "user_id": s("string"),
                "project_name": s("string"), "filename": s("string"), "created_at": s("string"), "updated_at": s("string"),
                "file_size": s("integer"), "r2_key": s("string"), "public_url": s("string"), "content_type": s("string")}},
        "LibraryListing": {"type": "object", "required": ["assets", "total", "user_id", "project_name"],
            "properties": {"assets": {"type": "array", "items": r("LibraryAsset")}, "total": s("integer"),
                "user_id": s("string"), "project_name": s("string")}},
        "LibraryUploaded": {"type": "object",
            "required": ["asset_id", "asset_type", "tag", "r2_key", "public_url", "created_at"],
            "properties": {"asset_id": s("string"), "asset_type": types(), "tag": tags(), "r2_key": s("string"),
                "public_url": s("string"), "created_at": s("string")}},
        "LibraryDeleted": {"type": "object", "required": ["success", "message"],
            "properties": {"success": s("boolean"), "message": s("string")}},
        "LibraryUpload": {"type": "object", "required": ["file", "project_name", "asset_type", "tag"],
            "properties": {"file": {"type": "string", "format": "binary",
                    "description": "a PNG, JPEG or WebP image, an MP4 video or UTF-8 text, as asset_type says (sniffed; 415 otherwise)"},
                "user_id": {"type": "string", "default": "10000"}, "project_name": {"type": "string", "minLength": 1},
                "asset_type": types(), "tag": tags(),
                "metadata": {"type": "string", "description": "a JSON object of more fields for the record"}},
            "example": {"file": "a storyboard note", "user_id": "10000", "project_name": "seed", "asset_type": "text", "tag": "storyboard"}},
    })
}

fn query(name: &str, required: bool, schema: Value, doc: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": doc})
}

fn answer(status: u16, media: &str, schema: Value) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": "success", "content": {media: {"schema": schema}}}),
    )
}

/// The operation of a library route, or `None` for any other route.
pub fn operation(endpoint: E, m: &Method) -> Option<Value> {
    let user = query(
        "user_id",
        false,
        json!({"type": "string", "default": "10000"}),
        "the user (default 10000)",
    );
    let project = query(
        "project_name",
        true,
        json!({"type": "string", "minLength": 1}),
        "the project; 400 when missing",
    );
    let of_asset = |also: &str| {
        vec![
            json!({"name": "assetId", "in": "path", "required": true, "schema": {"type": "string", "pattern": ID_PATTERN}}),
            user.clone(),
            project.clone(),
            query("asset_type", true, types(), also),
        ]
    };
    let (summary, params, body, success): (&str, Vec<Value>, Option<Value>, (String, Value)) = match (
        endpoint,
        m.as_str(),
    ) {
        (E::LibraryList, _) => (
            "A project's library assets (images, then videos, then texts), optionally of one type and tag; 400 for a missing project or a bad type or tag",
            vec![
                user.clone(),
                project.clone(),
                query("asset_type", false, types(), "only this type"),
                query("tag", false, tags(), "only this tag"),
            ],
            None,
            answer(200, "application/json", r("LibraryListing")),
        ),
        (E::LibraryUpload, _) => (
            "Upload a library asset (multipart form; the file is sniffed against asset_type: 415 otherwise, 413 past SFD_MEDIA_LIMIT; 400 for a missing project or a bad type or tag)",
            Vec::new(),
            Some(json!({"required": true, "content": {"multipart/form-data": {"schema": r("LibraryUpload")}}})),
            answer(200, "application/json", r("LibraryUploaded")),
        ),
        (E::LibraryAsset, "GET") => (
            "A library asset's file, with its Content-Type",
            of_asset("the asset's type; 400 when missing"),
            None,
            (
                "200".into(),
                json!({"description": "the file", "content": {
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/webp": {"schema": {"type": "string", "format": "binary"}},
                    "video/mp4": {"schema": {"type": "string", "format": "binary"}},
                    "text/plain": {"schema": {"type": "string"}},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}),
            ),
        ),
        (E::LibraryAsset, _) => (
            "Delete a library asset (its file and record)",
            of_asset("the asset's type; 400 when missing"),
            None,
            answer(200, "application/json", r("LibraryDeleted")),
        ),
        (E::LibraryMetadata, _) => (
            "A library asset's record",
            of_asset("the asset's type; 400 when missing"),
            None,
            answer(200, "application/json", r("LibraryAsset")),
        ),
        _ => return None,
    };
    let error = json!({"description": "error", "content": {"application/json": {"schema": r("ErrorResponse")}}});
    let mut responses = serde_json::Map::new();
    responses.insert(success.0, success.1);
    let codes: &[u16] = if body.is_some() {
        &[400, 401, 413, 415, 429, 503]
    } else {
        &[400, 401, 404, 429, 503]
    };
    for code in codes {
        responses.insert(code.to_string(), error.clone());
    }
    responses.insert("default".into(), error);
    let mut op = json!({"summary": summary, "tags": ["Asset Library"], "parameters": params, "responses": responses});
    if let Some(b) = body {
        op["requestBody"] = b;
    }
    Some(op)
}
