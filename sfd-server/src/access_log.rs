//! The access log: one line per request, with a stable field set (listed in
//! the README's "Deploy" section), and the HTTP metrics beside it.
//!
//! With `--log-format json` each request is one JSON object on one line:
//! `timestamp`, `level`, and `fields` holding `message` (`"request"`),
//! `request_id`, `method`, `route` (the template, never the raw path),
//! `path`, `status`, `duration_ms`, and `drama_id` / `job_id` when the
//! request names them or starts a job.

use std::time::Duration;

use http::{Method, Response};

use crate::http::Body;

/// What the router learnt about a request, for its log line and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestInfo {
    /// The route template, `studio` for the studio page, `unmatched` otherwise.
    pub route: &'static str,
    /// The drama the path names.
    pub drama_id: Option<String>,
    /// The job the path names.
    pub job_id: Option<String>,
}

impl Default for RequestInfo {
    fn default() -> Self {
        RequestInfo {
            route: "unmatched",
            drama_id: None,
            job_id: None,
        }
    }
}

/// The job an answer started, kept in the response's extensions so the
/// access log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StartedJob {
    /// The drama of the job.
    pub drama_id: String,
    /// The job.
    pub job_id: String,
}

/// Marks `response` as having started `job`.
pub(crate) fn with_started_job(mut response: Response<Body>, job: &sfd_core::Job) -> Response<Body> {
    response.extensions_mut().insert(StartedJob {
        drama_id: job.drama_id.clone(),
        job_id: job.job_id.clone(),
    });
    response
}

/// One answered request.
pub(crate) struct Answered<'a> {
    /// The request id (sent back as `X-Request-Id`).
    pub request_id: &'a str,
    /// The method.
    pub method: &'a Method,
    /// The raw path, without the query.
    pub path: &'a str,
    /// What the router learnt.
    pub info: RequestInfo,
    /// The status sent.
    pub status: u16,
    /// How long the answer took (to its head; a stream goes on after).
    pub took: Duration,
}

/// Logs the request's line and counts it in the HTTP metrics.
pub(crate) fn record(a: Answered<'_>, started: Option<&StartedJob>) {
    crate::metrics::record_request(a.info.route, a.method, a.status, a.took);
    let drama_id = a.info.drama_id.as_deref().or(started.map(|s| s.drama_id.as_str()));
    let job_id = a.info.job_id.as_deref().or(started.map(|s| s.job_id.as_str()));
    let (request_id, method, route, path, status) = (a.request_id, a.method.as_str(), a.info.route, a.path, a.status);
    let duration_ms = a.took.as_secs_f64() * 1000.0;
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                request_id,
                method,
                route,
                path,
                status,
                duration_ms,
                drama_id,
                job_id,
                "request"
            )
        };
    }
    if status >= 500 { line!(warn) } else { line!(info) }
}
