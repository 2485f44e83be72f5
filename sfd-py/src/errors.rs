//! The exception tree: `SfdError` and its subclasses.

use pyo3::prelude::*;
use pyo3::{create_exception, exceptions::PyException};

create_exception!(_sfd, SfdError, PyException, "Every sfd error.");
create_exception!(
    _sfd,
    NotFoundError,
    SfdError,
    "The drama, entity or job does not exist."
);
create_exception!(
    _sfd,
    ConflictError,
    SfdError,
    "The id is taken, or the document changed (version mismatch)."
);
create_exception!(
    _sfd,
    ValidationError,
    SfdError,
    "The input breaks the rules; `problems` lists them all."
);
create_exception!(_sfd, LlmError, SfdError, "No LLM is configured, or the LLM failed.");
create_exception!(
    _sfd,
    StorageError,
    SfdError,
    "The storage failed or could not be reached."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SfdError", py.get_type::<SfdError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("LlmError", py.get_type::<LlmError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    Ok(())
}

fn with_problems(msg: String, problems: Vec<String>) -> PyErr {
    let err = ValidationError::new_err(msg);
    Python::attach(|py| {
        let _ = err.value(py).setattr("problems", problems);
    });
    err
}

/// Maps a core error to its exception.
pub(crate) fn from_core(e: sfd_core::Error) -> PyErr {
    use sfd_core::Error as E;
    let msg = e.to_string();
    match e {
        E::NotFound { .. } => NotFoundError::new_err(msg),
        E::AlreadyExists { .. } | E::VersionMismatch { .. } | E::Conflict { .. } | E::NotRendered { .. } => {
            ConflictError::new_err(msg)
        }
        E::Invalid(p) => with_problems(msg, p.0.iter().map(ToString::to_string).collect()),
        E::InvalidCursor(_) => with_problems(msg.clone(), vec![msg]),
        E::LlmNotConfigured | E::Llm { .. } | E::Generation { .. } => LlmError::new_err(msg),
        E::Storage { .. } | E::Corrupt { .. } => StorageError::new_err(msg),
        _ => SfdError::new_err(msg),
    }
}

/// Maps a client error to its exception.
pub(crate) fn from_client(e: sfd_client::Error) -> PyErr {
    let msg = e.to_string();
    match e.status() {
        Some(404) => NotFoundError::new_err(msg),
        Some(409 | 412) => ConflictError::new_err(msg),
        Some(400 | 422) => with_problems(msg.clone(), vec![msg]),
        Some(503) if msg.contains("llm") || msg.contains("LLM") => LlmError::new_err(msg),
        Some(503) => StorageError::new_err(msg),
        Some(502) => LlmError::new_err(msg),
        _ => SfdError::new_err(msg),
    }
}
