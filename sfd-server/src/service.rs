//! One request: request id, CORS, auth, routing, the access log and metrics.

use std::time::Instant;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::access_log::{self, Answered, RequestInfo, StartedJob};
use crate::error::HttpError;
use crate::http::{self as h, Body};
use crate::router::{Call, Matched, Route, allow, dispatch, matched};
use crate::state::AppState;
use crate::studio;

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Whether `X-API-Key` holds one of the keys; every key is compared, always.
fn authorised(keys: &[String], headers: &HeaderMap) -> bool {
    let given = headers.get("x-api-key").map(HeaderValue::as_bytes).unwrap_or_default();
    keys.iter()
        .fold(false, |ok, k| constant_time_eq(k.as_bytes(), given) | ok)
}

fn cors(state: &AppState, req_headers: &HeaderMap, res: &mut Response<Body>) {
    let Some(origin) = req_headers.get(header::ORIGIN) else {
        return;
    };
    let origins = &state.inner.cors_origins;
    let allowed = origins.iter().any(|o| o == "*" || o.as_bytes() == origin.as_bytes());
    if !allowed {
        return;
    }
    let hs = res.headers_mut();
    if origins.iter().any(|o| o == "*") {
        hs.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    } else {
        hs.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        hs.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    hs.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag, Location, X-Request-Id"),
    );
}

fn preflight(methods: &[Method]) -> Response<Body> {
    let mut r = Response::new(h::full(bytes::Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    let hs = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&allow(methods)) {
        hs.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v.clone());
        hs.insert(header::ALLOW, v);
    }
    hs.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, X-API-Key, If-Match, If-None-Match, X-Request-Id"),
    );
    hs.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

/// Answers one request; never fails (errors become JSON error answers).
pub async fn handle(
    state: AppState,
    peer: std::net::SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let headers = req.headers().clone();
    let mut info = RequestInfo::default();
    let mut res = match route(&state, peer, req, &mut info).await {
        Ok(r) => r,
        Err(e) => h::error(&e),
    };
    cors(&state, &headers, &mut res);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    let answered = Answered {
        request_id: &request_id,
        method: &method,
        path: &path,
        info,
        status: res.status().as_u16(),
        took: started.elapsed(),
    };
    access_log::record(answered, res.extensions().get::<StartedJob>());
    Ok(res)
}

/// 401 unless the route is open or `X-API-Key` holds a key.
fn check_key(state: &AppState, route: &Route, parts: &http::request::Parts) -> Result<(), HttpError> {
    let keys = &state.inner.api_keys;
    if open(state, route, &parts.method) || keys.is_empty() || authorised(keys, &parts.headers) {
        return Ok(());
    }
    Err(HttpError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid X-API-Key header is required",
    ))
}

/// Whether `route` is answered without a key for `method`: the table's
/// open routes, and `/metrics` when `SFD_METRICS_PUBLIC` says so.
fn open(state: &AppState, route: &Route, method: &Method) -> bool {
    route.is_open(method) || (*route == Route::Metrics && state.inner.metrics_public)
}

/// The 429 answer when the caller (its key, else its address) is over the
/// rate limit; open routes are never limited.
fn over_limit(
    state: &AppState,
    route: &Route,
    peer: std::net::SocketAddr,
    parts: &http::request::Parts,
) -> Option<Response<Body>> {
    let limiter = state
        .inner
        .rate_limit
        .as_ref()
        .filter(|_| !open(state, route, &parts.method))?;
    let checked = match parts.headers.get("x-api-key") {
        Some(k) if !state.inner.api_keys.is_empty() => limiter.check_key(k.as_bytes()),
        _ => limiter.check_address(peer.ip()),
    };
    let wait = checked.err()?;
    let secs = wait.as_secs().max(1);
    let mut r = h::error(&HttpError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests; retry in {secs} s"),
    ));
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(r)
}

/// 405 with `Allow` for a method the route does not answer.
fn method_not_allowed(method: &Method, methods: &[Method]) -> Response<Body> {
    let e = HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed here; use {}", allow(methods)),
    );
    let mut r = h::error(&e);
    if let Ok(v) = HeaderValue::from_str(&allow(methods)) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// The studio page, beside the API and outside its route table, or 404.
fn outside_the_api(
    state: &AppState,
    parts: &http::request::Parts,
    info: &mut RequestInfo,
) -> Result<Response<Body>, HttpError> {
    let media_origin = state.studio().render_config().public_url().and_then(studio::origin_of);
    if let Some(page) = studio::answer(parts, media_origin.as_deref()) {
        info.route = "studio";
        return page;
    }
    Err(HttpError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {}", parts.uri.path()),
    ))
}

async fn route(
    state: &AppState,
    peer: std::net::SocketAddr,
    req: Request<Incoming>,
    info: &mut RequestInfo,
) -> Result<Response<Body>, HttpError> {
    let (parts, body) = req.into_parts();
    let Some(matched) = matched(parts.uri.path())? else {
        return outside_the_api(state, &parts, info);
    };
    let Matched {
        route,
        methods,
        template,
        drama_id,
        job_id,
    } = matched;
    *info = RequestInfo {
        route: template,
        drama_id,
        job_id,
    };
    if parts.method == Method::OPTIONS {
        return Ok(preflight(methods));
    }
    if !methods.contains(&parts.method) {
        return Ok(method_not_allowed(&parts.method, methods));
    }
    check_key(state, &route, &parts)?;
    if let Some(r) = over_limit(state, &route, peer, &parts) {
        return Ok(r);
    }
    // Streamed bodies are never read whole (media, uploads, MCP); a JSON
    // body is read before the handler.
    let (json, stream) = if route.streams() {
        (None, Some(body))
    } else if matches!(parts.method, Method::POST | Method::PATCH) {
        (h::read_json(&parts.headers, body, state.inner.body_limit).await?, None)
    } else {
        (None, None)
    };
    let call = Call {
        state,
        parts: &parts,
        json,
        stream,
    };
    dispatch(route, call).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        let mut hs = HeaderMap::new();
        hs.insert("x-api-key", HeaderValue::from_static("k2"));
        assert!(authorised(&["k1".into(), "k2".into()], &hs));
        assert!(!authorised(&["k1".into()], &hs));
    }
}
