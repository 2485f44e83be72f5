//! Finished episodes and exports: `POST …/episodes/{eid}/assemble` and
//! `GET /dramas/{id}/export?format=…`.

use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::StreamBody;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Frame;
use serde_json::Value;
use sfd_core::{AssembleRequest, ExportFormat, ExportOptions};

use crate::access_log::with_started_job;
use crate::dramas::job_response;
use crate::error::HttpError;
use crate::http::{self as h, Answer, BodyError};
use crate::state::AppState;

/// `POST /dramas/{id}/episodes/{eid}/assemble`: 202 with an `assemble_episode` job.
pub async fn assemble(state: &AppState, id: &str, episode_id: &str, body: Option<Value>) -> Answer {
    let request: AssembleRequest = match body {
        Some(b) => h::parse(b, "assemble request")?,
        None => AssembleRequest::default(),
    };
    let job = state.studio().start_assembly(id, episode_id, request).await?;
    Ok(with_started_job(
        h::json(StatusCode::ACCEPTED, &job_response(&job)),
        &job,
    ))
}

/// `GET /dramas/{id}/export?format=…[&episode=eid][&bundle=zip]`, streamed.
/// A hand-off by URL names `/media/…` files by this server's address as
/// the request reached it (`X-Forwarded-Proto` and `Host`).
pub async fn export(state: &AppState, headers: &HeaderMap, id: &str, query: Option<&str>) -> Answer {
    let mut format = None;
    let mut options = ExportOptions::default();
    for (k, v) in h::query(query)? {
        match k.as_str() {
            "format" => format = Some(v.parse::<ExportFormat>().map_err(HttpError::bad_request)?),
            "episode" if !v.is_empty() => {
                if let Some(problem) = sfd_core::id::id_problem(&v) {
                    return Err(HttpError::bad_request(format!("episode: {problem}")));
                }
                options.episode = Some(v);
            }
            "bundle" => match v.as_str() {
                "zip" => options.bundle = true,
                "" | "none" => options.bundle = false,
                other => {
                    return Err(HttpError::bad_request(format!(
                        "bundle: '{other}' is not a bundle: use bundle=zip"
                    )));
                }
            },
            _ => {}
        }
    }
    let format = format.ok_or_else(|| {
        HttpError::bad_request("name a format: format=fountain, srt, csv, zip, otio, fcpxml, edl or capcut")
    })?;
    let base = media_base(headers);
    let export = state
        .studio()
        .export_with(id, format, &options, base.as_deref())
        .await?;
    let frames = export
        .body
        .map(|chunk| chunk.map(Frame::data).map_err(|e| Box::new(e) as BodyError));
    let mut r = Response::new(UnsyncBoxBody::new(StreamBody::new(frames)));
    let hs = r.headers_mut();
    hs.insert(header::CONTENT_TYPE, HeaderValue::from_static(export.content_type));
    let disposition = format!("attachment; filename=\"{}\"", export.filename.replace(['"', '\\'], "_"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        hs.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// `scheme://host` of this server as the client reached it; `None` when
/// the request names no usable host.
fn media_base(headers: &HeaderMap) -> Option<String> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let host = text(header::HOST)?.trim();
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if !valid {
        return None;
    }
    let scheme = match text(header::HeaderName::from_static("x-forwarded-proto")).map(str::trim) {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_base_from_host_and_forwarded_proto() {
        let mut hs = HeaderMap::new();
        assert_eq!(media_base(&hs), None);
        hs.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8000"));
        assert_eq!(media_base(&hs).as_deref(), Some("http://127.0.0.1:8000"));
        hs.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(media_base(&hs).as_deref(), Some("https://127.0.0.1:8000"));
        hs.insert(header::HOST, HeaderValue::from_static("evil/path"));
        assert_eq!(media_base(&hs), None);
    }
}
