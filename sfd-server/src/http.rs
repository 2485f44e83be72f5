//! Small HTTP helpers: bodies, JSON in and out, headers, paths and queries.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sfd_core::{Storage, StorageExt, Version};

use crate::error::HttpError;

/// Why a streamed body stopped early (the connection is then closed, so a
/// cut file never looks complete).
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Every response body.
pub type Body = UnsyncBoxBody<Bytes, BodyError>;

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    UnsyncBoxBody::new(Full::new(bytes.into()).map_err(|never: Infallible| match never {}))
}

/// A response with a JSON body.
pub fn json_bytes(status: StatusCode, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// What every handler answers: a response, or the error that becomes one.
pub type Answer = Result<Response<Body>, HttpError>;

/// A response with `value` as JSON.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(b) => json_bytes(status, b),
        Err(e) => error(&HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("could not serialise the answer: {e}"),
        )),
    }
}

/// The answer for an error.
pub fn error(e: &HttpError) -> Response<Body> {
    json_bytes(e.status, serde_json::to_vec(&e.body()).unwrap_or_default())
}

/// Adds the drama version as the `ETag`.
pub fn with_etag(mut r: Response<Body>, v: &Version) -> Response<Body> {
    if let Ok(h) = HeaderValue::from_str(&v.etag()) {
        r.headers_mut().insert(header::ETAG, h);
    }
    r
}

/// The entity tags of an `If-Match` or `If-None-Match` value: `*` as `None`,
/// otherwise every member of the list (quoted, weak or, leniently, bare).
fn entity_tags(value: &str) -> Result<Option<Vec<Version>>, HttpError> {
    let bad = || HttpError::bad_request(format!("'{value}' is not a list of entity tags such as \"abc\""));
    let value = value.trim();
    if value == "*" {
        return Ok(None);
    }
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let (weak, body) = match rest.strip_prefix("W/") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let (tag, after) = match body.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').ok_or_else(bad)?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None if !weak => body.split_at(body.find([',', ' ', '\t']).unwrap_or(body.len())),
            None => return Err(bad()),
        };
        if tag.is_empty() {
            return Err(bad());
        }
        tags.push(Version::new(if weak {
            format!("W/\"{tag}\"")
        } else {
            format!("\"{tag}\"")
        }));
        rest = after;
    }
    if tags.is_empty() {
        return Err(bad());
    }
    Ok(Some(tags))
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match`: write whatever is stored.
    Absent,
    /// `*`: any existing drama (a missing one is 404, as without the header).
    Any,
    /// One of these versions (RFC 9110 strong comparison: weak tags never match).
    Tags(Vec<Version>),
}

/// Parses `If-Match`.
pub fn if_match(headers: &HeaderMap) -> Result<IfMatch, HttpError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(IfMatch::Absent);
    };
    let s = v
        .to_str()
        .map_err(|_| HttpError::bad_request("If-Match must be an entity tag such as \"abc\""))?;
    Ok(match entity_tags(s)? {
        None => IfMatch::Any,
        Some(tags) => IfMatch::Tags(tags),
    })
}

/// The version a write to drama `id` must find, from `If-Match`: `None`
/// when any will do. A list is resolved against the stored version (the
/// write then stays a compare-and-swap on it); 412 when no strong member
/// matches, 404 when the drama is missing.
pub async fn expected(storage: &dyn Storage, headers: &HeaderMap, id: &str) -> Result<Option<Version>, HttpError> {
    let tags = match if_match(headers)? {
        IfMatch::Absent | IfMatch::Any => return Ok(None),
        IfMatch::Tags(tags) => tags,
    };
    let strong: Vec<Version> = tags.into_iter().filter(|t| !t.is_weak()).collect();
    if let [only] = strong.as_slice() {
        return Ok(Some(only.clone()));
    }
    let current = storage.get_drama_bytes(id).await?.version;
    match strong.into_iter().find(|t| *t == current) {
        Some(t) => Ok(Some(t)),
        None => Err(HttpError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            format!("drama '{id}' has changed: If-Match names no current version (weak tags never match)"),
        )),
    }
}

/// Whether `If-None-Match` names version `v` (weak comparison) or is `*`.
pub fn none_match(headers: &HeaderMap, v: &Version) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .and_then(|s| entity_tags(s).ok())
        .is_some_and(|tags| tags.is_none_or(|tags| tags.iter().any(|t| t.weak_eq(v))))
}

/// 304 with the ETag.
pub fn not_modified(v: &Version) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    with_etag(r, v)
}

/// Reads a JSON body: 415 unless it is JSON, 413 past `limit`, 400 if it
/// does not parse. `None` for an empty body.
pub async fn read_json(headers: &HeaderMap, body: Incoming, limit: usize) -> Result<Option<Value>, HttpError> {
    let too_large = || {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                too_large()
            } else {
                HttpError::bad_request(format!("could not read the body: {e}"))
            }
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let bytes_len = bytes.len();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let parse = move || serde_json::from_slice::<Value>(&bytes);
    let parsed = if bytes_len > BLOCKING_PARSE {
        // A large body would hold an async worker for milliseconds.
        tokio::task::spawn_blocking(parse)
            .await
            .map_err(|e| HttpError::bad_request(format!("could not parse the body: {e}")))?
    } else {
        parse()
    };
    parsed
        .map(Some)
        .map_err(|e| HttpError::bad_request(format!("malformed JSON: {e}")))
}

/// Bodies larger than this are parsed on a blocking thread.
pub const BLOCKING_PARSE: usize = 256 * 1024;

/// The default largest JSON body: 2 MiB, about 50 times a real drama.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The default largest media upload: 200 MiB.
pub const DEFAULT_MEDIA_LIMIT: u64 = 200 * 1024 * 1024;

/// Parses a JSON value into `T`: 422 naming what is wrong.
pub fn parse<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, HttpError> {
    serde_json::from_value(value).map_err(|e| HttpError::unprocessable(format!("{what}: {e}")))
}

/// A JSON body that must be present.
pub fn required(body: Option<Value>) -> Result<Value, HttpError> {
    body.ok_or_else(|| HttpError::unprocessable("a JSON body is required"))
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set).
pub fn percent_decode(s: &str, plus: bool) -> Result<String, HttpError> {
    let bad = || HttpError::bad_request(format!("bad percent-encoding in '{s}'"));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The query parameters, decoded.
pub fn query(q: Option<&str>) -> Result<Vec<(String, String)>, HttpError> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%2Fb", false).unwrap(), "a/b");
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert!(percent_decode("%zz", false).is_err());
        assert!(percent_decode("%", false).is_err());
        let q = query(Some("limit=5&cursor=c1.ab&flag")).unwrap();
        assert_eq!(q[0], ("limit".into(), "5".into()));
        assert_eq!(q[2], ("flag".into(), String::new()));
    }

    #[test]
    fn etag_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(none_match(&h, &Version::new("abc")));
        assert!(!none_match(&h, &Version::new("zzz")));
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"abc\""));
        assert_eq!(if_match(&h).unwrap(), IfMatch::Tags(vec![Version::new("abc")]));
    }

    #[test]
    fn if_match_lists_weak_tags_and_star() {
        let parse = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_MATCH, HeaderValue::from_static(v));
            if_match(&h)
        };
        assert_eq!(parse("*").unwrap(), IfMatch::Any);
        let IfMatch::Tags(tags) = parse(" \"a\", W/\"b\",\"c,d\" ").unwrap() else {
            panic!("a list")
        };
        assert_eq!(tags.len(), 3);
        assert!(!tags[0].is_weak() && tags[1].is_weak() && tags[2] == Version::new("\"c,d\""));
        // A weak tag never equals the strong version it names.
        assert_ne!(tags[1], Version::new("b"));
        assert_eq!(parse("bare").unwrap(), IfMatch::Tags(vec![Version::new("bare")]));
        for bad in ["", "\"open", "W/bare", "\"\""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
