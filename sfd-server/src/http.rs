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
use sfd_core::Version;

use crate::error::HttpError;

/// Every response body.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    UnsyncBoxBody::new(Full::new(bytes.into()))
}

/// A response with a JSON body.
pub fn json_bytes(status: StatusCode, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

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

/// The version in `If-Match`, if any (`*` means "any", so none is checked).
pub fn if_match(headers: &HeaderMap) -> Result<Option<Version>, HttpError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| HttpError::bad_request("If-Match must be an entity tag such as \"abc\""))?
        .trim();
    if s == "*" {
        return Ok(None);
    }
    Ok(Some(Version::new(s)))
}

/// Whether `If-None-Match` names version `v` (or is `*`).
pub fn none_match(headers: &HeaderMap, v: &Version) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|s| s.split(',').map(str::trim).any(|t| t == "*" || Version::new(t) == *v))
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
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| HttpError::bad_request(format!("malformed JSON: {e}")))
}

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
        assert_eq!(if_match(&h).unwrap(), Some(Version::new("abc")));
    }
}
