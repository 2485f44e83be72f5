//! Finished episodes and exports: `POST …/episodes/{eid}/assemble` and
//! `GET /dramas/{id}/export?format=…`.

use futures::StreamExt;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::StreamBody;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Frame;
use serde_json::Value;
use sfd_core::{AssembleRequest, ExportFormat};

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

/// `GET /dramas/{id}/export?format=fountain|srt|csv|zip[&episode=eid]`, streamed.
pub async fn export(state: &AppState, id: &str, query: Option<&str>) -> Answer {
    let mut format = None;
    let mut episode = None;
    for (k, v) in h::query(query)? {
        match k.as_str() {
            "format" => format = Some(v.parse::<ExportFormat>().map_err(HttpError::bad_request)?),
            "episode" if !v.is_empty() => {
                if let Some(problem) = sfd_core::id::id_problem(&v) {
                    return Err(HttpError::bad_request(format!("episode: {problem}")));
                }
                episode = Some(v);
            }
            _ => {}
        }
    }
    let format = format.ok_or_else(|| HttpError::bad_request("name a format: format=fountain, srt, csv or zip"))?;
    let export = state.studio().export(id, format, episode.as_deref()).await?;
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
