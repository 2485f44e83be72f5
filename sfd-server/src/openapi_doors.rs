//! The OpenAPI description of the two other doors: GraphQL (`/graphql`)
//! and MCP (`/mcp`). `openapi.rs` asks here after the media routes.

use http::Method;

use crate::router::Endpoint as E;
use serde_json::{Value, json};

fn error() -> Value {
    json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}})
}

fn errors(codes: &[u16]) -> impl Iterator<Item = (String, Value)> + '_ {
    codes.iter().map(|c| (c.to_string(), error()))
}

/// The operation of `endpoint` for `m`, if it is the GraphQL or MCP route.
pub fn operation(endpoint: E, m: &Method) -> Option<Value> {
    let (summary, description, body, success, codes): (&str, &str, Option<Value>, Value, &[u16]) = match (
        endpoint,
        m.as_str(),
    ) {
        (E::GraphQl, "GET") => {
            let page = json!({"description": "GraphiQL", "content": {"text/html": {"schema": {"type": "string"}}}});
            let mut responses = serde_json::Map::new();
            responses.insert("200".into(), page);
            return Some(json!({
                "summary": "GraphiQL, the interactive GraphQL page, served whole from the server (no key needed; set X-API-Key in its Headers tab)",
                "security": [],
                "responses": responses,
            }));
        }
        (E::GraphQl, _) => (
            "Run a GraphQL query or mutation (or a list of them)",
            "The old server's schema (drama, dramas, dramaSummaries, job, jobs, coverPhoto, generateCharacterImage, generateCoverPhoto; camelCase, r2Url) and sfd's additions. Answers 200 with {data, errors} as GraphQL over HTTP does; each error's message is REST's, with extensions.code and extensions.status. Queries are limited in depth and complexity.",
            Some(json!({"type": "object", "required": ["query"], "properties": {
                    "query": {"type": "string", "example": "{ dramaSummaries(limit: 10) { id title url } }"},
                    "variables": {"type": ["object", "null"]},
                    "operationName": {"type": ["string", "null"]}}})),
            json!({"anyOf": [
                    {"type": "object", "properties": {"data": {}, "errors": {"type": "array", "items": {"type": "object"}}, "extensions": {}}},
                    {"type": "array", "items": {"type": "object"}}]}),
            &[400, 401, 413, 415, 422, 429],
        ),
        (E::Mcp, _) => (
            "The Model Context Protocol over streamable HTTP (stateless, JSON answers)",
            "JSON-RPC 2.0 messages of MCP: initialize, tools/list, tools/call, resources/list, resources/templates/list, resources/read. A notification answers 202 with no body. Needs Accept: application/json, text/event-stream.",
            Some(
                json!({"type": "object", "required": ["jsonrpc", "method"], "properties": {
                    "jsonrpc": {"type": "string", "enum": ["2.0"]},
                    "id": {"type": ["integer", "string"]},
                    "method": {"type": "string", "example": "tools/list"},
                    "params": {"type": "object"}},
                    "example": {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "example", "version": "1.0"}}}}),
            ),
            json!({"type": "object", "required": ["jsonrpc"], "properties": {"jsonrpc": {"type": "string"}, "result": {}, "error": {"type": "object"}}}),
            &[400, 401, 403, 406, 413, 415, 429],
        ),
        _ => return None,
    };
    let mut responses: serde_json::Map<String, Value> = errors(codes).collect();
    responses.insert(
        "200".into(),
        json!({"description": "success", "content": {"application/json": {"schema": success}}}),
    );
    if endpoint == E::Mcp {
        responses.insert("202".into(), json!({"description": "a notification, accepted"}));
    }
    responses.insert("default".into(), json!({"description": "any other error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}));
    let mut params = Vec::new();
    if endpoint == E::Mcp {
        params.push(json!({"name": "Accept", "in": "header", "required": true,
            "schema": {"type": "string", "enum": ["application/json, text/event-stream"]}}));
    }
    Some(json!({
        "summary": summary,
        "description": description,
        "parameters": params,
        "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
        "responses": responses,
    }))
}
