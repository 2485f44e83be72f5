//! The asset library's routes, in the old server's shapes:
//! `GET /asset-library/list`, `POST /asset-library/upload` (multipart),
//! `GET` / `DELETE /asset-library/{assetId}` and
//! `GET /asset-library/{assetId}/metadata`. The library itself is
//! `sfd_core::library`; this only speaks HTTP.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sfd_core::{
    DEFAULT_LIBRARY_USER, LibraryDeleted, LibraryExt, LibraryListing, LibraryProject, LibraryTag, LibraryType,
    LibraryUpload, LibraryUploaded, Object,
};

use crate::error::HttpError;
use crate::http::{self as h, Answer};
use crate::state::AppState;

/// The query (or form) fields of the library routes.
#[derive(Debug, Default)]
struct Fields {
    user_id: Option<String>,
    project_name: Option<String>,
    asset_type: Option<String>,
    tag: Option<String>,
    metadata: Option<String>,
}

impl Fields {
    fn set(&mut self, k: &str, v: String) {
        // Empty values count as absent, as in the old server.
        let v = Some(v).filter(|v| !v.is_empty());
        match k {
            "user_id" => self.user_id = v,
            "project_name" => self.project_name = v,
            "asset_type" => self.asset_type = v,
            "tag" => self.tag = v,
            "metadata" => self.metadata = v,
            _ => {}
        }
    }

    fn of_query(q: Option<&str>) -> Result<Self, HttpError> {
        let mut f = Fields::default();
        for (k, v) in h::query(q)? {
            f.set(&k, v);
        }
        Ok(f)
    }

    fn user(&self) -> &str {
        self.user_id.as_deref().unwrap_or(DEFAULT_LIBRARY_USER)
    }

    /// The project; 400 when missing, as the old server answered.
    fn project(&self, also_type: bool) -> Result<(LibraryProject, &str), HttpError> {
        let missing = if also_type {
            "project_name and asset_type are required"
        } else {
            "project_name is required"
        };
        let name = self
            .project_name
            .as_deref()
            .ok_or_else(|| HttpError::bad_request(missing))?;
        if also_type && self.asset_type.is_none() {
            return Err(HttpError::bad_request(missing));
        }
        let p = LibraryProject::new(self.user(), name).map_err(|e| HttpError::bad_request(e.to_string()))?;
        Ok((p, name))
    }

    fn asset_type(&self) -> Result<Option<LibraryType>, HttpError> {
        self.asset_type
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(HttpError::bad_request)
    }

    fn tag(&self) -> Result<Option<LibraryTag>, HttpError> {
        self.tag
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(HttpError::bad_request)
    }

    fn required_type(&self) -> Result<LibraryType, HttpError> {
        self.asset_type()?
            .ok_or_else(|| HttpError::bad_request("project_name and asset_type are required"))
    }
}

/// `GET /asset-library/list`: the project's assets, by type and tag if asked.
pub async fn list(state: &AppState, query: Option<&str>) -> Answer {
    let f = Fields::of_query(query)?;
    let (asset_type, tag) = (f.asset_type()?, f.tag()?);
    let (project, name) = f.project(false)?;
    let assets = state.studio().storage().list_library(&project, asset_type, tag).await?;
    let listing = LibraryListing {
        total: assets.len(),
        assets,
        user_id: f.user().to_string(),
        project_name: name.to_string(),
    };
    Ok(h::json(StatusCode::OK, &listing))
}

/// `DELETE /asset-library/{assetId}`: the asset and its record removed.
pub async fn delete(state: &AppState, query: Option<&str>, id: &str) -> Answer {
    let f = Fields::of_query(query)?;
    let (project, _) = f.project(true)?;
    let storage = state.studio().storage();
    storage.delete_library(&project, f.required_type()?, id).await?;
    let deleted = LibraryDeleted {
        success: true,
        message: "Asset deleted successfully".into(),
    };
    Ok(h::json(StatusCode::OK, &deleted))
}

/// `GET /asset-library/{assetId}`: the file, with its content type.
pub async fn get(state: &AppState, query: Option<&str>, id: &str) -> Answer {
    let f = Fields::of_query(query)?;
    let (project, _) = f.project(true)?;
    let storage = state.studio().storage();
    let (rec, bytes) = storage.read_library(&project, f.required_type()?, id).await?;
    let content_type = rec.content_type.as_deref().unwrap_or("application/octet-stream");
    let mut r = Response::new(h::full(bytes));
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(name, v);
        }
    }
    Ok(r)
}

/// `GET /asset-library/{assetId}/metadata`: the record.
pub async fn metadata(state: &AppState, query: Option<&str>, id: &str) -> Answer {
    let f = Fields::of_query(query)?;
    let (project, _) = f.project(true)?;
    let rec = state
        .studio()
        .storage()
        .library_asset(&project, f.required_type()?, id)
        .await?;
    Ok(h::json(StatusCode::OK, &rec))
}

pub(crate) fn multipart_error(e: multer::Error, limit: u64) -> HttpError {
    match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            sfd_core::Error::MediaTooLarge { limit }.into()
        }
        other => HttpError::bad_request(format!("the multipart body cannot be read: {other}")),
    }
}

/// `POST /asset-library/upload`: a multipart form with `file`, `user_id`,
/// `project_name`, `asset_type`, `tag` and optional `metadata` (a JSON object).
pub async fn upload(state: &AppState, headers: &HeaderMap, body: Incoming) -> Answer {
    let limit = state.inner.media_limit;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "an upload is a multipart/form-data body",
        )
    })?;
    if let Err(refused) = crate::media::check_declared_length(headers, limit) {
        return Err(crate::media::refuse_unread(headers, body, refused).await);
    }
    let form_limit = state.inner.body_limit as u64;
    let sizes = multer::SizeLimit::new()
        .whole_stream(limit.saturating_add(form_limit))
        .per_field(form_limit)
        .for_field("file", limit);
    let mut form = multer::Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(sizes),
    );
    let mut fields = Fields::default();
    let mut file: Option<(Option<String>, Bytes)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
            file = Some((filename, bytes));
        } else {
            let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
            fields.set(&name, text);
        }
    }
    let (project, _) = fields.project(false)?;
    let asset_type = fields
        .asset_type()?
        .ok_or_else(|| HttpError::bad_request("asset_type is required"))?;
    let tag = fields.tag()?.ok_or_else(|| HttpError::bad_request("tag is required"))?;
    let metadata: Object = match fields.metadata.as_deref() {
        Some(m) => serde_json::from_str(m)
            .map_err(|e| HttpError::bad_request(format!("metadata must be a JSON object: {e}")))?,
        None => Object::new(),
    };
    let (filename, bytes) = file.ok_or_else(|| HttpError::bad_request("file is required"))?;
    let upload = LibraryUpload {
        asset_type,
        tag,
        filename,
        bytes,
        metadata,
    };
    let studio = state.studio();
    let public_base = studio.render_config().public_url();
    let rec = studio.storage().upload_library(&project, upload, public_base).await?;
    Ok(h::json(StatusCode::OK, &LibraryUploaded::from(&rec)))
}
