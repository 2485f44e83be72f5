//! The studio: a storyboard page of plain HTML, CSS and JavaScript modules
//! embedded in the binary, served at `/` and `/studio/{file}`.
//!
//! These are the page, not the API: they need no key, are not in
//! [`crate::router::ROUTES`] and so not in `openapi.json`. The page itself
//! speaks only the public API that the spec describes.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::error::HttpError;
use crate::http::{Body, full};

/// One embedded file.
struct File {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! embed {
    ($name:literal, $content_type:expr) => {
        embed!($name, "../studio/", $name, $content_type)
    };
    ($name:literal, $dir:literal, $file:literal, $content_type:expr) => {
        File {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!($dir, $file)),
        }
    };
}

/// Where the vendored Swagger UI of `/docs` lies (see its README).
macro_rules! swagger {
    ($name:literal, $file:literal, $content_type:expr) => {
        embed!($name, "../vendor/swagger-ui/", $file, $content_type)
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page; the first is the page itself.
const FILES: &[File] = &[
    embed!("index.html", "text/html; charset=utf-8"),
    embed!("studio.css", "text/css; charset=utf-8"),
    embed!("icon.svg", "image/svg+xml"),
    embed!("app.js", JS),
    embed!("api.js", JS),
    embed!("dom.js", JS),
    embed!("edit.js", JS),
    embed!("jobs.js", JS),
    embed!("list.js", JS),
    embed!("drama.js", JS),
    embed!("scenes.js", JS),
    embed!("actions.js", JS),
    embed!("render.js", JS),
    embed!("episode.js", JS),
    embed!("downloads.js", JS),
    embed!("replace.js", JS),
    embed!("jobpanel.js", JS),
    // The /docs page's own files, and the Swagger UI it runs.
    embed!("docs.js", JS),
    embed!("docs.css", "text/css; charset=utf-8"),
    swagger!("swagger-ui-bundle.js", "swagger-ui-bundle.js", JS),
    swagger!("swagger-ui.css", "swagger-ui.css", "text/css; charset=utf-8"),
    swagger!("swagger-ui-LICENSE", "LICENSE", "text/plain; charset=utf-8"),
    swagger!("swagger-ui-NOTICE", "NOTICE", "text/plain; charset=utf-8"),
    swagger!(
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui-bundle.js.LICENSE.txt",
        "text/plain; charset=utf-8"
    ),
    embed!("library.js", JS),
    embed!("candidates.js", JS),
    embed!("sheet.js", JS),
];

/// The `/docs` page (served by `openapi::docs_page`, its files from here).
pub const DOCS_HTML: &str = include_str!("../studio/docs.html");

/// The methods the page's paths answer.
const ALLOW: &str = "GET, HEAD, OPTIONS";

/// Scripts, styles, images and media come only from this server (images and
/// media also from the public bucket, when `R2_PUBLIC_URL` serves them;
/// media also from `blob:`, the subtitles the page converts for its player);
/// no inline script or style, no plug-ins, no framing.
fn csp(media_origin: Option<&str>) -> String {
    let media = media_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'{media}; \
         media-src 'self' blob:{media}; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The origin (`https://host[:port]`) of a public media URL; `None` when it
/// has characters an origin cannot have (nothing may break out of the CSP).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then(|| format!("{scheme}://{host}"))
}

/// A strong ETag per file, from its bytes: a new binary with other bytes
/// gets other tags, so `Cache-Control: no-cache` revalidates cheaply (304).
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|f| {
            let mut h = DefaultHasher::new();
            f.body.hash(&mut h);
            format!("\"{:016x}\"", h.finish())
        })
        .collect()
});

/// The index of the file at `path`: `Some(None)` for a path of the page
/// that names no file, `None` for a path that is not the page's.
fn lookup(path: &str) -> Option<Option<usize>> {
    if path == "/" {
        return Some(Some(0));
    }
    let name = path.strip_prefix("/studio/")?;
    Some(FILES.iter().position(|f| f.name == name))
}

/// The answer for a request to the page, or `None` when `parts` is not
/// about the page (the caller then answers 404 as for any unknown path).
pub fn answer(parts: &Parts, media_origin: Option<&str>) -> Option<Result<Response<Body>, HttpError>> {
    let index = lookup(parts.uri.path())?;
    let Some(index) = index else {
        return Some(Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("the studio has no file {}", parts.uri.path()),
        )));
    };
    Some(match parts.method {
        Method::GET | Method::HEAD => Ok(serve(index, &parts.headers, media_origin)),
        Method::OPTIONS => Ok(empty(StatusCode::NO_CONTENT)),
        ref m => {
            let mut r = crate::http::error(&HttpError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{m} is not allowed here; use {ALLOW}"),
            ));
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
            Ok(r)
        }
    })
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    r
}

fn serve(index: usize, headers: &HeaderMap, media_origin: Option<&str>) -> Response<Body> {
    let file = &FILES[index];
    let etag = &ETAGS[index];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if fresh {
        empty(StatusCode::NOT_MODIFIED)
    } else {
        Response::new(full(Bytes::from_static(file.body)))
    };
    let hs = r.headers_mut();
    hs.remove(header::ALLOW);
    hs.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    if let Ok(v) = HeaderValue::from_str(etag) {
        hs.insert(header::ETAG, v);
    }
    hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&csp(media_origin)) {
        hs.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    hs.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    hs.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method, path: &str) -> Parts {
        http::Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn a_public_bucket_origin_joins_the_image_and_media_sources() {
        assert_eq!(
            origin_of("https://pub-1.r2.dev/media/x").as_deref(),
            Some("https://pub-1.r2.dev")
        );
        assert_eq!(
            origin_of("http://cdn.example:8080").as_deref(),
            Some("http://cdn.example:8080")
        );
        assert_eq!(origin_of("https://evil.example;script-src *"), None);
        assert_eq!(origin_of("ftp://x"), None);
        let r = answer(&parts(Method::GET, "/"), Some("https://pub-1.r2.dev"))
            .unwrap()
            .unwrap();
        let policy = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("img-src 'self' https://pub-1.r2.dev;"), "{policy}");
        assert!(
            policy.contains("media-src 'self' blob: https://pub-1.r2.dev;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
    }

    #[test]
    fn the_page_and_its_files_are_served_with_their_types() {
        for f in FILES {
            let path = if f.name == "index.html" {
                "/".to_string()
            } else {
                format!("/studio/{}", f.name)
            };
            let r = answer(&parts(Method::GET, &path), None).unwrap().unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], f.content_type, "{path}");
            assert!(
                r.headers()[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap()
                    .contains("default-src 'self'")
            );
        }
        assert!(answer(&parts(Method::GET, "/dramas"), None).is_none());
        assert!(answer(&parts(Method::GET, "/studio"), None).is_none());
        let missing = answer(&parts(Method::GET, "/studio/../Cargo.toml"), None)
            .unwrap()
            .unwrap_err();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let post = answer(&parts(Method::POST, "/"), None).unwrap().unwrap();
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], ALLOW);
    }

    #[test]
    fn a_matching_etag_answers_304() {
        let first = answer(&parts(Method::GET, "/studio/app.js"), None).unwrap().unwrap();
        let tag = first.headers()[header::ETAG].clone();
        let mut again = parts(Method::GET, "/studio/app.js");
        again.headers.insert(header::IF_NONE_MATCH, tag.clone());
        let r = answer(&again, None).unwrap().unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], tag);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
    }

    #[test]
    fn the_jobs_panel_names_every_job_type() {
        let js = FILES.iter().find(|f| f.name == "jobs.js").unwrap();
        let js = std::str::from_utf8(js.body).unwrap();
        for t in sfd_core::JobType::ALL {
            let name = serde_json::to_value(t).unwrap();
            let name = name.as_str().unwrap();
            assert!(
                js.contains(&format!("\n  {name}: \"")),
                "jobs.js has no label for {name}"
            );
        }
    }

    #[test]
    fn no_page_path_is_an_api_route() {
        for (template, _, _) in crate::router::ROUTES.iter() {
            assert!(lookup(template).is_none(), "{template} is claimed by the studio");
        }
        assert_eq!(crate::router::resolve("/").unwrap(), None);
        assert_eq!(crate::router::resolve("/studio/app.js").unwrap(), None);
    }

    #[test]
    fn no_inline_script_or_markup_injection_in_the_page() {
        let html = std::str::from_utf8(FILES[0].body).unwrap();
        // Every script is an external module; CSP would block anything inline.
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script type=\"module\" src=").count()
        );
        // Our own scripts; Swagger UI is vendored as published.
        for f in FILES
            .iter()
            .filter(|f| f.name.ends_with(".js") && !f.name.starts_with("swagger-ui"))
        {
            let js = std::str::from_utf8(f.body).unwrap();
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
            ] {
                assert!(!js.contains(sink), "{} uses {sink}", f.name);
            }
        }
    }
}
