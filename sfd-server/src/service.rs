//! One request: request id, CORS, auth, routing, the access log and metrics.

use std::time::Instant;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::access_log::{self, Answered, RequestInfo, StartedJob};
use crate::error::HttpError;
use crate::http::{self as h, Body};
use crate::nested;
use crate::router::{Matched, Route, allow, matched};
use crate::state::AppState;
use crate::{dramas, export, library, media, openapi, render, studio};
use sfd_core::{Asset, Character, Episode, Scene};

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

async fn route(
    state: &AppState,
    peer: std::net::SocketAddr,
    req: Request<Incoming>,
    info: &mut RequestInfo,
) -> Result<Response<Body>, HttpError> {
    let (parts, body) = req.into_parts();
    let Some(matched) = matched(parts.uri.path())? else {
        // The studio page is served beside the API, outside its route table.
        let media_origin = state.studio().render_config().public_url().and_then(studio::origin_of);
        if let Some(page) = studio::answer(&parts, media_origin.as_deref()) {
            info.route = "studio";
            return page;
        }
        return Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {}", parts.uri.path()),
        ));
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
        let e = HttpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed here; use {}", parts.method, allow(methods)),
        );
        let mut r = h::error(&e);
        if let Ok(v) = HeaderValue::from_str(&allow(methods)) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        return Ok(r);
    }
    // Media files are open like a public bucket: their keys hold the content
    // hash and are listed nowhere, so only a document's reader finds them.
    let open = matches!(route, Route::Health | Route::OpenApi | Route::Docs | Route::Media(_))
        || (route == Route::Metrics && state.inner.metrics_public)
        || (route == Route::GraphQl && parts.method == Method::GET);
    let keys = &state.inner.api_keys;
    if !open && !keys.is_empty() && !authorised(keys, &parts.headers) {
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid X-API-Key header is required",
        ));
    }
    if let Some(limiter) = &state.inner.rate_limit
        && !open
    {
        let checked = match parts.headers.get("x-api-key") {
            Some(k) if !keys.is_empty() => limiter.check_key(k.as_bytes()),
            _ => limiter.check_address(peer.ip()),
        };
        if let Err(wait) = checked {
            let secs = wait.as_secs().max(1);
            let mut r = h::error(&HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; retry in {secs} s"),
            ));
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
    }
    let m = &parts.method;
    let hs = &parts.headers;
    // Media bodies stream; they are never read whole. MCP reads its own.
    let route = match route {
        Route::Mcp => return Ok(crate::mcp::http(state, Request::from_parts(parts, body)).await),
        Route::Media(key) => return media::get(state, hs, &key).await,
        Route::AssetContent(d, o, a) => return media::upload(state, hs, &d, &o, &a, body).await,
        Route::Library(l) => return library::answer(state, m, hs, parts.uri.query(), l, body).await,
        other => other,
    };
    let has_body = matches!(*m, Method::POST | Method::PATCH);
    let body = if has_body {
        h::read_json(hs, body, state.inner.body_limit).await?
    } else {
        None
    };
    let q = parts.uri.query();
    match route {
        Route::Health => dramas::health(state).await,
        Route::OpenApi => Ok(h::json(StatusCode::OK, &*openapi::SPEC)),
        Route::Docs => Ok(openapi::docs_page()),
        Route::Metrics => crate::metrics::answer(),
        Route::Dramas if m == Method::GET => dramas::list(state, q).await,
        Route::Dramas => dramas::create(state, body).await,
        Route::Drama(id) if m == Method::GET => dramas::get(state, hs, &id).await,
        Route::Drama(id) if m == Method::PATCH => dramas::patch(state, hs, &id, body).await,
        Route::Drama(id) => dramas::delete(state, hs, &id).await,
        Route::Improve(id) => dramas::improve(state, &id, body).await,
        Route::Critic(id) => dramas::critic(state, &id, body).await,
        Route::Jobs(id) => dramas::jobs(state, &id).await,
        Route::Job(id, j) => dramas::job(state, &id, &j).await,
        Route::JobCancel(id, j) => dramas::cancel(state, &id, &j).await,
        Route::JobEvents(id, j) => dramas::events(state, &id, &j).await,
        Route::Characters(at) => nested::answer::<Character>(state, m, hs, at, body).await,
        Route::Episodes(at) => nested::answer::<Episode>(state, m, hs, at, body).await,
        Route::Scenes(at) => nested::answer::<Scene>(state, m, hs, at, body).await,
        Route::Assets(at) => nested::answer::<Asset>(state, m, hs, at, body).await,
        Route::Render(d) => render::drama(state, &d, body).await,
        Route::AssetRender(d, o, a) => render::asset(state, &d, &o, &a, body).await,
        Route::DramaGenerate(d) => render::drama_alias(state, &d, body).await,
        Route::EpisodeGenerate(d, e) => render::episode_alias(state, &d, &e, body).await,
        Route::CharacterGenerate(d, c) => render::character_alias(state, &d, &c, body).await,
        Route::Audition(d, c) if m == Method::GET => render::get_audition(state, &d, &c).await,
        Route::Audition(d, c) => render::audition(state, &d, &c, body).await,
        Route::Cover(d) if m == Method::GET => render::get_cover(state, &d).await,
        Route::Cover(d) => render::cover(state, &d, body).await,
        Route::Assemble(d, e) => export::assemble(state, &d, &e, body).await,
        Route::Export(d) => export::export(state, hs, &d, q).await,
        Route::GraphQl if m == Method::GET => Ok(crate::graphql::page()),
        Route::GraphQl => crate::graphql::execute(state, body).await,
        Route::Media(_) | Route::AssetContent(..) | Route::Mcp | Route::Library(_) => Err(HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "media routes are answered before the body is read",
        )),
    }
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
