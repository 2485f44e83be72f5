//! Handlers of the drama-level routes, jobs and the live event stream.

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::StreamBody;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Frame;
use serde_json::{Value, json};
use sfd_core::{
    DramaPatch, EntityKind, GenerationRequest, ImproveDramaRequest, ImproveDramaResponse, Job, JobList, JobResponse,
    ListOptions, Patch, StorageExt, Success,
};

use crate::access_log::with_started_job;
use crate::error::HttpError;
use crate::http::{self as h, Answer};
use crate::state::AppState;

/// The 202 answer for a queued job.
pub(crate) fn job_response(job: &Job) -> JobResponse {
    JobResponse {
        drama_id: job.drama_id.clone(),
        job_id: job.job_id.clone(),
        status: job.status,
        message: poll_message(job),
    }
}

fn poll_message(job: &Job) -> String {
    format!(
        "job queued; poll GET /dramas/{d}/jobs/{j} or stream GET /dramas/{d}/jobs/{j}/events",
        d = job.drama_id,
        j = job.job_id
    )
}

/// `GET /dramas?limit&cursor&view`
pub async fn list(state: &AppState, query: Option<&str>) -> Answer {
    let mut opts = ListOptions::default();
    let mut full = false;
    for (k, v) in h::query(query)? {
        match k.as_str() {
            "limit" => {
                opts.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        HttpError::bad_request(format!("limit must be a whole number from 1 to 1000, got '{v}'"))
                    })?;
            }
            "cursor" if !v.is_empty() => opts.cursor = Some(v),
            "cursor" => {}
            "view" => {
                full = match v.as_str() {
                    "summary" => false,
                    "full" => true,
                    _ => {
                        return Err(HttpError::bad_request(format!(
                            "view must be summary or full, got '{v}'"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    let storage = state.studio().storage();
    Ok(if full {
        h::json(StatusCode::OK, &storage.list_dramas_full(&opts).await?)
    } else {
        h::json(StatusCode::OK, &storage.list_dramas(&opts).await?)
    })
}

/// `POST /dramas`: `{premise, id?, model?}` → 202 job, or `{drama}` → 201 drama.
pub async fn create(state: &AppState, body: Option<Value>) -> Answer {
    let body = h::required(body)?;
    let Value::Object(map) = &body else {
        return Err(HttpError::unprocessable("the body must be a JSON object"));
    };
    if let Some(d) = map.get("drama") {
        let drama: sfd_core::Drama = h::parse(d.clone(), "drama")?;
        let v = state.studio().storage().create_drama(&drama).await?;
        let mut r = h::with_etag(h::json(StatusCode::CREATED, &drama), &v);
        if let Ok(loc) = HeaderValue::from_str(&format!("/dramas/{}", drama.id)) {
            r.headers_mut().insert(header::LOCATION, loc);
        }
        return Ok(r);
    }
    if map.contains_key("premise") {
        let req: GenerationRequest = h::parse(body, "generation request")?;
        let job = state.studio().start_generation(req).await?;
        return Ok(with_started_job(
            h::json(StatusCode::ACCEPTED, &job_response(&job)),
            &job,
        ));
    }
    Err(HttpError::unprocessable(
        "the body needs either 'premise' (to generate a drama) or 'drama' (to store one)",
    ))
}

/// `GET /dramas/{id}`: the stored bytes as they are.
pub async fn get(state: &AppState, headers: &HeaderMap, id: &str) -> Answer {
    let stored = state.studio().storage().get_drama_bytes(id).await?;
    if h::none_match(headers, &stored.version) {
        return Ok(h::not_modified(&stored.version));
    }
    Ok(h::with_etag(
        h::json_bytes(StatusCode::OK, stored.body),
        &stored.version,
    ))
}

/// `PATCH /dramas/{id}`
pub async fn patch(state: &AppState, headers: &HeaderMap, id: &str, body: Option<Value>) -> Answer {
    let patch = DramaPatch::from_value(h::required(body)?).map_err(|p| HttpError::unprocessable(p.to_string()))?;
    let storage = &**state.studio().storage();
    let expected = h::expected(storage, headers, id).await?;
    let v = sfd_core::EditExt::update_drama(storage, id, patch, expected.as_ref()).await?;
    Ok(h::with_etag(h::json(StatusCode::OK, &v.value), &v.version))
}

/// `DELETE /dramas/{id}`
pub async fn delete(state: &AppState, headers: &HeaderMap, id: &str) -> Answer {
    let storage = &**state.studio().storage();
    let expected = h::expected(storage, headers, id).await?;
    storage.delete_drama(id, expected.as_ref()).await?;
    Ok(h::json(StatusCode::OK, &Success { success: true }))
}

/// `POST /dramas/{id}/improve`
pub async fn improve(state: &AppState, id: &str, body: Option<Value>) -> Answer {
    let req: ImproveDramaRequest = h::parse(h::required(body)?, "improve request")?;
    let job = state
        .studio()
        .start_improvement(id, &req.feedback, req.new_drama_id, req.model)
        .await?;
    let answer = h::json(
        StatusCode::ACCEPTED,
        &ImproveDramaResponse {
            original_id: id.to_string(),
            improved_id: job.drama_id.clone(),
            job_id: job.job_id.clone(),
            status: job.status,
            message: poll_message(&job),
        },
    );
    Ok(with_started_job(answer, &job))
}

/// `POST /dramas/{id}/critic` (the body may be empty)
pub async fn critic(state: &AppState, id: &str, body: Option<Value>) -> Answer {
    let req: sfd_core::CriticRequest = match body {
        Some(b) => h::parse(b, "critic request")?,
        None => Default::default(),
    };
    let job = state.studio().start_critique(id, req.model).await?;
    Ok(with_started_job(
        h::json(StatusCode::ACCEPTED, &job_response(&job)),
        &job,
    ))
}

/// `GET /dramas/{id}/jobs`
pub async fn jobs(state: &AppState, id: &str) -> Answer {
    let jobs = state.studio().jobs().list(id).await?;
    if jobs.is_empty() {
        // A drama with no jobs must exist; a job-only id (generation in progress) has jobs.
        state.studio().storage().get_drama_bytes(id).await?;
    }
    Ok(h::json(StatusCode::OK, &JobList { jobs }))
}

/// `GET /dramas/{id}/jobs/{jobId}`: 404 unless the job belongs to that drama.
pub async fn job(state: &AppState, id: &str, job_id: &str) -> Answer {
    Ok(h::json(StatusCode::OK, &state.studio().jobs().get(id, job_id).await?))
}

/// `POST /dramas/{id}/jobs/{jobId}/cancel`
pub async fn cancel(state: &AppState, id: &str, job_id: &str) -> Answer {
    Ok(h::json(
        StatusCode::OK,
        &state.studio().jobs().cancel(id, job_id).await?,
    ))
}

/// `GET /dramas/{id}/jobs/{jobId}/events`: Server-Sent Events until the job ends.
pub async fn events(state: &AppState, id: &str, job_id: &str) -> Answer {
    let stream = state.studio().jobs().subscribe(id, job_id).await.map_err(|e| match e {
        sfd_core::Error::NotFound { .. } => HttpError::not_found(EntityKind::Job, job_id),
        other => other.into(),
    })?;
    let mut stopping = state.inner.stopping.subscribe();
    let mut seq = 0u64;
    let frames = stream
        .map(move |ev| {
            seq += 1;
            let kind = match ev.kind {
                sfd_core::JobEventKind::Status => "status",
                sfd_core::JobEventKind::Progress => "progress",
            };
            let data = serde_json::to_string(&ev.job).unwrap_or_else(|_| "{}".into());
            Bytes::from(format!("id: {seq}\nevent: {kind}\ndata: {data}\n\n"))
        })
        .take_until(async move {
            let _ = stopping.wait_for(|s| *s).await;
        })
        .chain(futures::stream::once(async {
            Bytes::from_static(b"event: end\ndata: {}\n\n")
        }));
    let frames = with_keep_alive(frames.boxed(), state.inner.keep_alive)
        .map(|b| Ok::<_, crate::http::BodyError>(Frame::data(b)));
    let mut r = Response::new(UnsyncBoxBody::new(StreamBody::new(frames)));
    let hs = r.headers_mut();
    hs.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// Adds an SSE comment every `every` while `frames` is quiet, so proxies
/// and clients keep a long stream open; ends when `frames` ends.
fn with_keep_alive(
    frames: futures::stream::BoxStream<'static, Bytes>,
    every: std::time::Duration,
) -> impl futures::Stream<Item = Bytes> {
    futures::stream::unfold(Some(frames), move |frames| async move {
        let mut frames = frames?;
        tokio::select! {
            next = frames.next() => next.map(|b| (b, Some(frames))),
            _ = tokio::time::sleep(every) => Some((Bytes::from_static(b": keep-alive\n\n"), Some(frames))),
        }
    })
}

/// `GET /health`
pub async fn health(state: &AppState) -> Answer {
    // One cheap read of a key that never exists: reaches the backend in O(1).
    let probe = match sfd_core::Key::drama("sfd-health-probe") {
        Ok(key) => tokio::time::timeout(std::time::Duration::from_secs(3), state.studio().storage().get(&key)).await,
        Err(e) => Ok(Err(e)),
    };
    let storage_ok = matches!(probe, Ok(Ok(_)));
    let body = json!({
        "status": if storage_ok { "ok" } else { "degraded" },
        "timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        "version": env!("CARGO_PKG_VERSION"),
        "storage": if storage_ok { "ok" } else { "unavailable" },
        "llm": if state.studio().jobs().has_llm() { "configured" } else { "not configured" },
    });
    let status = if storage_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(h::json(status, &body))
}
