//! The Model Context Protocol for agents, with the official Rust SDK
//! (`rmcp`): over streamable HTTP at `POST /mcp` on the same hyper server
//! (same `X-API-Key`, rate and body limits as REST), and over stdio with
//! `sfd-server mcp` for desktop agents.
//!
//! Tools are in `tools.rs`. Resources: `sfd://dramas/{dramaId}` is a drama
//! as JSON; a media file is read by its URL (`/media/{key}`, the asset's
//! `url`, or `sfd://media/{key}`).

mod tools;

use base64::Engine;
use futures::StreamExt;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use sfd_core::{ListOptions, MediaKey, StorageExt};

use crate::error::HttpError;
use crate::http::{self as h, Body};
use crate::state::AppState;
pub(crate) use tools::SfdMcp;

/// The largest media file read as a resource; larger ones are fetched by URL.
const RESOURCE_LIMIT: usize = 32 * 1024 * 1024;

/// What `sfd-server` runs besides the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Serve the Model Context Protocol over stdin/stdout (for desktop agents),
    /// with the same settings as the server.
    Mcp,
}

/// Reads a byte stream whole, up to `limit` bytes.
pub(crate) async fn collect(mut body: sfd_core::storage::ByteStream, limit: usize) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
        if out.len() > limit {
            return Err(HttpError::new(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("larger than {limit} bytes; fetch it over HTTP instead"),
            ));
        }
    }
    Ok(out)
}

fn mcp_error(e: impl Into<HttpError>) -> ErrorData {
    let e: HttpError = e.into();
    match e.status.as_u16() {
        404 => ErrorData::resource_not_found(e.message, None),
        400..=499 => ErrorData::invalid_params(e.message, None),
        _ => ErrorData::internal_error(e.message, None),
    }
}

const DRAMA_URI: &str = "sfd://dramas/";
const MEDIA_URI: &str = "sfd://media/";

impl SfdMcp {
    async fn read(&self, uri: &str) -> Result<ReadResourceResult, HttpError> {
        let studio = self.state.studio();
        if let Some(id) = uri.strip_prefix(DRAMA_URI) {
            let stored = studio.storage().get_drama_bytes(id).await?;
            let text = String::from_utf8_lossy(&stored.body).into_owned();
            let contents = ResourceContents::text(text, uri).with_mime_type("application/json");
            return Ok(ReadResourceResult::new(vec![contents]));
        }
        let path = uri.strip_prefix(MEDIA_URI).map(|k| format!("/media/{k}"));
        let key = MediaKey::from_url(path.as_deref().unwrap_or(uri))
            .ok_or_else(|| HttpError::bad_request(format!("'{uri}' is neither {DRAMA_URI}{{id}} nor a media URL")))?;
        let read = studio.read_media(key.path(), None).await?;
        let mime = read.info.content_type();
        let bytes = collect(read.body, RESOURCE_LIMIT).await?;
        let blob = base64::engine::general_purpose::STANDARD.encode(bytes);
        Ok(ReadResourceResult::new(vec![
            ResourceContents::blob(blob, uri).with_mime_type(mime),
        ]))
    }
}

impl ServerHandler for SfdMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder().enable_tools().enable_resources().build();
        ServerConfig::new(caps).with_instructions(
            "sfd writes, renders and cuts AI short-form dramas. create_drama from a premise, wait_for_job, \
             get_drama, patch_entity to edit, plan_render / start_render to make images, videos and speech \
             (costs in USD), assemble_episode to cut, export for the screenplay. Read a drama as the \
             resource sfd://dramas/{dramaId}, and a rendered file by its URL.",
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let ctx = ToolCallContext::new(self, request, context);
        self.tools().call(ctx).await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools().list_all()))
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut opts = ListOptions::new(100);
        opts.cursor = request.and_then(|r| r.cursor);
        let page = self
            .state
            .studio()
            .storage()
            .list_dramas(&opts)
            .await
            .map_err(mcp_error)?;
        let resources = page
            .dramas
            .into_iter()
            .map(|d| {
                Resource::new(format!("{DRAMA_URI}{}", d.id), d.title)
                    .with_description(d.description)
                    .with_mime_type("application/json")
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = page.cursor;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{DRAMA_URI}{{dramaId}}"), "drama")
                .with_description("A whole drama as JSON")
                .with_mime_type("application/json"),
            ResourceTemplate::new(format!("{MEDIA_URI}{{key}}"), "media")
                .with_description("A rendered or uploaded file; an asset's url (/media/…) works too"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.read(&request.uri).await.map(Into::into).map_err(mcp_error)
    }
}

/// `POST /mcp`: one stateless streamable-HTTP exchange (JSON answers; no
/// session is kept, so any process of a deployment can answer). Auth, rate
/// and route checks ran before. Without API keys only loopback `Host`s are
/// served, against DNS rebinding of a local server. The SDK's plain-text
/// refusals become the contract's JSON errors.
pub(crate) async fn http(state: &AppState, req: Request<Incoming>) -> Response<Body> {
    if !is_json(req.headers().get(http::header::CONTENT_TYPE)) {
        return h::error(&HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send JSON-RPC as JSON with Content-Type: application/json",
        ));
    }
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(state.inner.body_limit);
    if !state.inner.api_keys.is_empty() {
        config = config.disable_allowed_hosts();
    }
    let server = SfdMcp::new(state.clone());
    let service: StreamableHttpService<SfdMcp, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config);
    let res = service.handle(req).await;
    let status = res.status();
    if status.as_u16() < 400 || is_json(res.headers().get(http::header::CONTENT_TYPE)) {
        return res.map(|b| b.map_err(|never| match never {}).boxed_unsync());
    }
    let text = match res.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(never) => match never {},
    };
    h::error(&refusal(status, text))
}

fn is_json(v: Option<&http::HeaderValue>) -> bool {
    v.and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json")
        })
}

/// The SDK's plain-text refusal as the contract's error. The content type
/// was checked before, so its 415 means a body that is no JSON-RPC message.
fn refusal(status: StatusCode, text: String) -> HttpError {
    let message = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text.trim().to_string()
    };
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST => HttpError::bad_request(message),
        StatusCode::NOT_ACCEPTABLE => HttpError::new(
            status,
            "not_acceptable",
            format!("{message}; send Accept: application/json, text/event-stream"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => HttpError::new(status, "payload_too_large", message),
        StatusCode::FORBIDDEN => HttpError::new(status, "forbidden", message),
        StatusCode::NOT_FOUND => HttpError::new(status, "not_found", message),
        StatusCode::METHOD_NOT_ALLOWED => HttpError::new(status, "method_not_allowed", message),
        s if s.is_client_error() => HttpError::new(s, "bad_request", message),
        _ => {
            tracing::warn!(status = status.as_u16(), %message, "the MCP transport failed");
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the MCP transport failed; see the server log",
            )
        }
    }
}

/// Serves MCP over stdin/stdout until the client closes it.
pub async fn serve_stdio(state: AppState) -> crate::Result<()> {
    let running = SfdMcp::new(state.clone())
        .serve(rmcp::transport::io::stdio())
        .await
        .map_err(|e| crate::Error::Io(std::io::Error::other(e.to_string())))?;
    let _ = running.waiting().await;
    state.studio().shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn mcp_is_a_subcommand_after_the_server_flags() {
        let c =
            crate::Config::try_parse_from(["sfd-server", "--storage", "memory://", "--simulated-llm", "mcp"]).unwrap();
        assert_eq!(c.command, Some(Command::Mcp));
        assert!(c.simulated_llm);
        assert_eq!(crate::Config::try_parse_from(["sfd-server"]).unwrap().command, None);
        assert!(crate::Config::try_parse_from(["sfd-server", "mcpx"]).is_err());
    }

    #[test]
    fn the_sdks_refusals_become_contract_errors() {
        let e = refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "fail to deserialize request body".into(),
        );
        assert_eq!((e.status, e.error), (StatusCode::BAD_REQUEST, "bad_request"));
        let e = refusal(StatusCode::NOT_ACCEPTABLE, String::new());
        assert_eq!(e.error, "not_acceptable");
        assert!(
            e.message.contains("Accept: application/json, text/event-stream"),
            "{}",
            e.message
        );
        let e = refusal(StatusCode::BAD_GATEWAY, "upstream secret detail".into());
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("secret"));
        assert!(is_json(Some(&http::HeaderValue::from_static(
            "application/json; charset=utf-8"
        ))));
        assert!(!is_json(Some(&http::HeaderValue::from_static("text/plain"))));
        assert!(!is_json(None));
    }
}
