//! # sfd-py
//!
//! Python bindings for sfd, built with maturin as the module `sfd._sfd`.
//!
//! Only document validation is exposed so far; the embedded `Studio` and
//! the remote `Client` come with the Python bindings issue.
//!
//! ```
//! let problems = _sfd::problems_of(r#"{"id": "../x", "title": "t", "description": "d", "premise": "p"}"#);
//! assert!(problems.unwrap()[0].contains("id contains"));
//! ```

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Every validation problem of a drama document given as JSON text.
pub fn problems_of(json: &str) -> Result<Vec<String>, String> {
    let drama = sfd_core::Drama::from_slice(json.as_bytes()).map_err(|e| format!("not a drama document: {e}"))?;
    Ok(sfd_core::validate(&drama).0.iter().map(ToString::to_string).collect())
}

/// Validates a drama document (JSON text) and returns every problem found.
#[pyfunction]
fn validate_drama(json: &str) -> PyResult<Vec<String>> {
    problems_of(json).map_err(PyValueError::new_err)
}

/// The native module `sfd._sfd`.
#[pymodule]
fn _sfd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(validate_drama, m)?)?;
    Ok(())
}
