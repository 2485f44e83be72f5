//! `GET /metrics`: the process's metrics in the Prometheus text format.
//!
//! The server installs one Prometheus recorder per process (the first
//! [`crate::AppState`] does; later ones, e.g. many test servers in one
//! process, share it). sfd-core reports storage, jobs, LLM and render calls
//! through the `metrics` facade (see `sfd_core::telemetry`); this module adds
//! the HTTP requests, by route template, method and status.

use std::sync::OnceLock;
use std::time::Duration;

use http::{HeaderValue, Method, Response, StatusCode, header};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::error::HttpError;
use crate::http::{self as h, Body};

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Histogram buckets in seconds: from a millisecond (a request, a storage
/// read) to half an hour (a long generation job).
const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
];

/// The handle of this process's recorder; `None` when another recorder was
/// installed before the server's (then `/metrics` answers 503).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder once per process, and returns its handle.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new().set_buckets(BUCKETS) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics buckets refused; /metrics is off");
                    return None;
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    sfd_core::telemetry::describe();
                    metrics::describe_counter!(
                        "sfd_http_requests_total",
                        "HTTP requests by route template, method and status"
                    );
                    metrics::describe_histogram!("sfd_http_request_seconds", "HTTP request latency in seconds");
                    Some(handle)
                }
                Err(_) => {
                    tracing::warn!("another metrics recorder is installed; /metrics is off");
                    None
                }
            }
        })
        .as_ref()
}

/// A bounded method label: the standard methods, `other` for the rest.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one answered request: `sfd_http_requests_total` and
/// `sfd_http_request_seconds`, by route template, method and status.
pub fn record_request(route: &'static str, method: &Method, status: u16, took: Duration) {
    let (method, status) = (method_label(method), status.to_string());
    metrics::counter!("sfd_http_requests_total", "route" => route, "method" => method, "status" => status.clone())
        .increment(1);
    metrics::histogram!("sfd_http_request_seconds", "route" => route, "method" => method, "status" => status)
        .record(took.as_secs_f64());
}

/// `GET /metrics`.
pub fn answer() -> Result<Response<Body>, HttpError> {
    let Some(handle) = install() else {
        return Err(HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "another metrics recorder owns this process; /metrics is off",
        ));
    };
    handle.run_upkeep();
    let mut r = Response::new(h::full(handle.render()));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_show_up_by_template() {
        assert!(install().is_some());
        record_request("/dramas/{id}", &Method::PATCH, 412, Duration::from_millis(3));
        let text = install().map(PrometheusHandle::render).unwrap_or_default();
        assert!(
            text.lines().any(|l| l.starts_with("sfd_http_requests_total{")
                && l.contains(r#"route="/dramas/{id}""#)
                && l.contains(r#"status="412""#)),
            "{text}"
        );
        assert!(text.contains("sfd_http_request_seconds_bucket{"), "{text}");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
