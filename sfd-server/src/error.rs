//! The server's error enum, and [`HttpError`], what a failed request answers.

use http::StatusCode;
use sfd_core::{EntityKind, ErrorBody};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop the server from starting or serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or wrong; the message names it.
    #[error("configuration: {0}")]
    Config(String),
    /// The core library failed (storage, LLM configuration).
    #[error(transparent)]
    Core(#[from] sfd_core::Error),
    /// Binding or accepting failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// An error answer: a status and the body `{"error", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The status code.
    pub status: StatusCode,
    /// Short title.
    pub error: &'static str,
    /// What happened and what to do.
    pub message: String,
}

impl HttpError {
    /// An error with this status, title and message.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        HttpError {
            status,
            error,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_error", message)
    }

    /// 404 for an entity.
    pub fn not_found(kind: EntityKind, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{kind} '{id}' not found"))
    }

    /// The body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.error.to_string(),
            message: self.message.clone(),
        }
    }
}

impl From<sfd_core::Error> for HttpError {
    fn from(e: sfd_core::Error) -> Self {
        use sfd_core::Error as E;
        let msg = e.to_string();
        match e {
            E::NotFound { .. } => HttpError::new(StatusCode::NOT_FOUND, "not_found", msg),
            E::AlreadyExists { .. } => HttpError::new(StatusCode::CONFLICT, "conflict", msg),
            E::VersionMismatch { .. } => HttpError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed", msg),
            E::Conflict { .. } => HttpError::new(StatusCode::CONFLICT, "conflict", format!("{msg}; try again")),
            E::Invalid(_) => HttpError::unprocessable(msg),
            E::InvalidCursor(_) => HttpError::bad_request(msg),
            E::LlmNotConfigured => HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "llm_not_configured", msg),
            E::Corrupt { .. } => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_document", msg),
            E::Storage { ref key, ref source } => {
                tracing::error!(%key, error = %source, "storage failed");
                HttpError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "storage is unavailable right now; try again shortly",
                )
            }
            E::Llm { .. } | E::Generation { .. } => HttpError::new(StatusCode::BAD_GATEWAY, "llm_error", msg),
            E::Cancelled(_) => HttpError::new(StatusCode::CONFLICT, "cancelled", msg),
            E::NotRendered { .. } => HttpError::new(StatusCode::CONFLICT, "not_rendered", msg),
            E::AlreadyRendering { .. } => HttpError::new(StatusCode::CONFLICT, "render_running", msg),
            E::RendererNotConfigured { .. } => {
                HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "renderer_not_configured", msg)
            }
            E::Render { .. } => HttpError::new(StatusCode::BAD_GATEWAY, "render_error", msg),
            E::UnsupportedMediaType(_) => {
                HttpError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", msg)
            }
            E::MediaTooLarge { .. } => HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", msg),
            E::RangeNotSatisfiable { .. } => {
                HttpError::new(StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable", msg)
            }
            E::Config(_) => HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "not_configured", msg),
            E::ToolMissing { .. } => HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "tool_missing", msg),
            E::Tool { .. } => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "media_tool_failed", msg),
            other => {
                tracing::error!(error = %other, "internal error");
                HttpError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "internal error; see the server log",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_contract_statuses() {
        let nf = sfd_core::Error::NotFound {
            kind: EntityKind::Drama,
            id: "x".into(),
        };
        assert_eq!(HttpError::from(nf).status, StatusCode::NOT_FOUND);
        let st = sfd_core::Error::Storage {
            key: "dramas/x.json".into(),
            source: "connection refused to 10.0.0.1 with secret".into(),
        };
        let h = HttpError::from(st);
        assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!h.message.contains("secret") && h.message.contains("storage is unavailable"));
        assert_eq!(
            HttpError::from(sfd_core::Error::LlmNotConfigured).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        let none = sfd_core::Error::RendererNotConfigured {
            kind: sfd_core::AssetKind::Video,
        };
        let h = HttpError::from(none);
        assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            h.message.contains("SFD_VIDEO_API_BASE") || h.message.contains("SORA_API_KEY"),
            "{}",
            h.message
        );
        let statuses = [
            (sfd_core::Error::UnsupportedMediaType("text/plain".into()), 415),
            (sfd_core::Error::MediaTooLarge { limit: 1 }, 413),
            (sfd_core::Error::RangeNotSatisfiable { size: 3 }, 416),
        ];
        for (e, want) in statuses {
            assert_eq!(HttpError::from(e).status.as_u16(), want);
        }
    }
}
