//! `POST /dramas` as `multipart/form-data`, as the old server's later
//! versions took it: `premise`, an optional `id` (and `model`, `episodes`,
//! `scenes_per_episode`) and an optional `reference_image` file, the main
//! character's own reference. Answers 202 like the JSON form.

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sfd_core::GenerationRequest;

use crate::access_log::with_started_job;
use crate::dramas::job_response;
use crate::error::HttpError;
use crate::http::{self as h, Answer};
use crate::library::multipart_error;
use crate::state::AppState;

/// Whether `headers` declare a multipart form.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// A whole number field, or a 422 naming it.
fn number(name: &str, text: &str) -> Result<u32, HttpError> {
    text.trim()
        .parse()
        .map_err(|_| HttpError::unprocessable(format!("{name} must be a whole number, got '{text}'")))
}

/// Queues the generation a multipart form asks for.
pub(crate) async fn create(state: &AppState, headers: &HeaderMap, body: Incoming) -> Answer {
    let limit = state.inner.media_limit;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| HttpError::bad_request("the multipart body has no boundary"))?;
    if let Err(refused) = crate::media::check_declared_length(headers, limit) {
        return Err(crate::media::refuse_unread(headers, body, refused).await);
    }
    let form_limit = state.inner.body_limit as u64;
    let sizes = multer::SizeLimit::new()
        .whole_stream(limit.saturating_add(form_limit))
        .per_field(form_limit)
        .for_field("reference_image", limit);
    let mut form = multer::Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(sizes),
    );
    let mut req = GenerationRequest::default();
    let mut premise = None;
    let mut image: Option<Bytes> = None;
    while let Some(field) = form.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "reference_image" {
            let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
            image = Some(bytes).filter(|b| !b.is_empty());
            continue;
        }
        let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
        let value = Some(text.trim().to_string()).filter(|t| !t.is_empty());
        match name.as_str() {
            "premise" => premise = value,
            "id" => req.id = value,
            "model" => req.model = value,
            "episodes" => req.episodes = value.map(|v| number("episodes", &v)).transpose()?,
            "scenes_per_episode" | "scenesPerEpisode" => {
                req.scenes_per_episode = value.map(|v| number("scenes_per_episode", &v)).transpose()?
            }
            _ => {}
        }
    }
    req.premise = premise.ok_or_else(|| HttpError::unprocessable("the form needs a 'premise' field"))?;
    let studio = state.studio();
    let job = match image {
        Some(image) => studio.start_generation_with_reference(req, image).await?,
        None => studio.start_generation(req).await?,
    };
    Ok(with_started_job(
        h::json(StatusCode::ACCEPTED, &job_response(&job)),
        &job,
    ))
}
