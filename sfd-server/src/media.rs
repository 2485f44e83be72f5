//! Media files: `GET /media/{key}` (ETag, 304, ranges, immutable caching),
//! `PUT …/assets/{aid}/content` (a user's own file, streamed to storage)
//! and `PUT|DELETE …/characters/{cid}/voice_sample` (a character's
//! reference voice clip, for providers that clone voices).

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use sfd_core::{AssetOwner, ByteRange, ByteStream, MediaKey};

use crate::error::HttpError;
use crate::http::{self as h, Answer, Body, BodyError};
use crate::state::AppState;

/// Content-addressed files never change: caches may keep them for a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn header(r: &mut Response<Body>, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// `GET /media/{key}`: the file, or the asked range of it.
pub async fn get(state: &AppState, headers: &HeaderMap, key: &str) -> Answer {
    let parsed = MediaKey::parse(key)
        .map_err(|_| HttpError::new(StatusCode::NOT_FOUND, "not_found", format!("no media file '{key}'")))?;
    // The key holds the content hash: a matching tag means the same bytes.
    let etag = sfd_core::Version::new(parsed.etag());
    if h::none_match(headers, &etag) {
        let mut r = h::not_modified(&etag);
        header(&mut r, header::CACHE_CONTROL, IMMUTABLE);
        return Ok(r);
    }
    // A malformed Range is ignored (RFC 9110): the whole file is sent.
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(ByteRange::parse_header);
    let read = match state.studio().read_media(key, range).await {
        Ok(read) => read,
        Err(sfd_core::Error::RangeNotSatisfiable { size }) => {
            let mut r = h::error(&HttpError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the range lies outside the file, which has {size} bytes"),
            ));
            header(&mut r, header::CONTENT_RANGE, &format!("bytes */{size}"));
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    let partial = range.is_some();
    let len = read.range.end - read.range.start;
    let frames = read
        .body
        .map(|chunk| chunk.map(Frame::data).map_err(|e| Box::new(e) as BodyError));
    let mut r = Response::new(UnsyncBoxBody::new(StreamBody::new(frames)));
    *r.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    header(&mut r, header::CONTENT_TYPE, read.info.content_type());
    // Browsers must not guess another type (a file that looks like HTML).
    header(&mut r, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    header(&mut r, header::CONTENT_LENGTH, &len.to_string());
    header(&mut r, header::ETAG, &read.info.etag());
    header(&mut r, header::ACCEPT_RANGES, "bytes");
    header(&mut r, header::CACHE_CONTROL, IMMUTABLE);
    if partial {
        let last = read.range.end.saturating_sub(1);
        header(
            &mut r,
            header::CONTENT_RANGE,
            &format!("bytes {}-{last}/{}", read.range.start, read.info.size),
        );
    }
    Ok(r)
}

/// 413 when the declared `Content-Length` is past `limit`, before a byte is read.
pub fn check_declared_length(headers: &HeaderMap, limit: u64) -> Result<(), HttpError> {
    match headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(len) if len > limit => Err(sfd_core::Error::MediaTooLarge { limit }.into()),
        _ => Ok(()),
    }
}

/// The essence of the request's `Content-Type`, lowercased.
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The body as a stream of chunks.
fn stream_of(body: Incoming) -> ByteStream {
    body.into_data_stream()
        .map(|chunk: Result<Bytes, hyper::Error>| {
            chunk.map_err(|e| sfd_core::Error::invalid("body", format!("the upload was cut short: {e}")))
        })
        .boxed()
}

/// `PUT /dramas/{id}/characters/{cid}/voice_sample`: the body (audio/mpeg,
/// audio/wav, audio/mp4, audio/ogg or audio/webm, up to 20 MiB and
/// `SFD_MEDIA_LIMIT`) becomes the character's reference voice clip; the
/// answer is the character.
pub async fn voice_sample(state: &AppState, headers: &HeaderMap, drama_id: &str, cid: &str, body: Incoming) -> Answer {
    let limit = state.inner.media_limit.min(sfd_core::VOICE_SAMPLE_LIMIT);
    let content_type = content_type(headers);
    // A type that is not audio, or a declared size past the limit, is
    // refused before a byte is read.
    if sfd_core::MediaType::from_mime(&content_type).ok().map(|t| t.kind()) != Some(sfd_core::AssetKind::Audio) {
        return Err(sfd_core::Error::UnsupportedMediaType(format!(
            "a voice sample must be audio/mpeg, audio/wav, audio/mp4 (m4a), audio/ogg or audio/webm, not '{content_type}'"
        ))
        .into());
    }
    check_declared_length(headers, limit)?;
    let saved = state
        .studio()
        .upload_voice_sample(drama_id, cid, &content_type, stream_of(body), limit)
        .await?;
    Ok(h::with_etag(h::json(StatusCode::OK, &saved.value), &saved.version))
}

/// `DELETE /dramas/{id}/characters/{cid}/voice_sample`: the character
/// speaks in its `metadata.voice` again; the answer is the character.
pub async fn remove_voice_sample(state: &AppState, drama_id: &str, cid: &str) -> Answer {
    let saved = state.studio().remove_voice_sample(drama_id, cid).await?;
    Ok(h::with_etag(h::json(StatusCode::OK, &saved.value), &saved.version))
}

/// `PUT …/assets/{aid}/content`: the body becomes the asset's file.
pub async fn upload(
    state: &AppState,
    headers: &HeaderMap,
    drama_id: &str,
    owner: &AssetOwner,
    asset_id: &str,
    body: Incoming,
) -> Answer {
    let limit = state.inner.media_limit;
    let content_type = content_type(headers);
    // Checked before a byte is read: a wrong type or a declared size past
    // the limit is refused at once.
    sfd_core::MediaType::from_mime(&content_type)?;
    check_declared_length(headers, limit)?;
    let stream = stream_of(body);
    let saved = state
        .studio()
        .upload_asset_content(drama_id, owner, asset_id, &content_type, stream, limit)
        .await?;
    Ok(h::with_etag(h::json(StatusCode::OK, &saved.value), &saved.version))
}
