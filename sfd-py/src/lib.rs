//! # sfd-py
//!
//! Python bindings for sfd, built with maturin as `sfd._sfd`. The native
//! module is small on purpose: `Studio` (the embedded core) and `Client`
//! (a remote server) share one operation table, reached with `call` (sync,
//! releasing the GIL) or `call_async` (an awaitable); documents cross as
//! JSON text. The typed, documented API lives in `sfd/__init__.py`.
//!
//! ```
//! let problems = _sfd::problems_of(r#"{"id": "../x", "title": "t", "description": "d", "premise": "p"}"#);
//! assert!(problems.unwrap()[0].contains("id contains"));
//! ```

mod args;
mod errors;
mod levels;
mod library;
mod media;
mod ops;
mod runtime;
mod target;

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use pyo3::types::PyBytes;

use crate::target::Target;

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

/// A Python class over one [`Target`]: its constructor, then the calls
/// every target answers the same way (`call`, `call_async`, `fetch`,
/// `fetch_async`), written once for `Studio` and `Client`.
macro_rules! target_class {
    ($(#[$doc:meta])* $name:ident { $($ctor:tt)* }) => {
        $(#[$doc])*
        #[pyclass(module = "sfd._sfd", frozen)]
        struct $name {
            target: Arc<Target>,
        }

        #[pymethods]
        impl $name {
            $($ctor)*

            /// Runs operation `op` with JSON `args` (and an upload's `data`);
            /// returns JSON. Releases the GIL.
            #[pyo3(signature = (op, args, data = None))]
            fn call(&self, py: Python<'_>, op: &str, args: &str, data: Option<&[u8]>) -> PyResult<String> {
                runtime::call(py, Arc::clone(&self.target), op, args, data.map(<[u8]>::to_vec))
            }

            /// The same as `call`, as an awaitable.
            #[pyo3(signature = (op, args, data = None))]
            fn call_async<'py>(
                &self,
                py: Python<'py>,
                op: String,
                args: String,
                data: Option<&[u8]>,
            ) -> PyResult<Bound<'py, PyAny>> {
                runtime::call_async(py, Arc::clone(&self.target), op, args, data.map(<[u8]>::to_vec))
            }

            /// Runs `download` or `export` and returns the bytes. Releases the GIL.
            fn fetch(&self, py: Python<'_>, op: &str, args: &str) -> PyResult<Py<PyBytes>> {
                runtime::fetch(py, Arc::clone(&self.target), op, args)
            }

            /// The same as `fetch`, as an awaitable.
            fn fetch_async<'py>(&self, py: Python<'py>, op: String, args: String) -> PyResult<Bound<'py, PyAny>> {
                runtime::fetch_async(py, Arc::clone(&self.target), op, args)
            }
        }
    };
}

target_class! {
    /// The embedded core: storage, an LLM and a job runner in this process.
    Studio {
        /// `storage`: a folder, `memory://` or `s3://bucket/prefix?endpoint=…`;
        /// `llm`: `"env"` (OPENAI_* variables), `"simulated"` or `"none"`;
        /// `render`: `"env"` (the SFD_IMAGE_* / SFD_VIDEO_* / SFD_SPEECH_*
        /// variables, or OPENAI_API_KEY), `"simulated"` or `"none"`.
        #[new]
        #[pyo3(signature = (storage = "./data", llm = "env", render = "env"))]
        fn new(storage: &str, llm: &str, render: &str) -> PyResult<Self> {
            let rt = runtime::get()?;
            Ok(Studio {
                target: Arc::new(target::studio(rt, storage, llm, render).map_err(errors::from_core)?),
            })
        }
    }
}

target_class! {
    /// A client of a remote sfd server.
    Client {
        /// A client for the server at `base_url`.
        #[new]
        #[pyo3(signature = (base_url, api_key = None, timeout = 30.0))]
        fn new(base_url: &str, api_key: Option<&str>, timeout: f64) -> PyResult<Self> {
            if !(timeout > 0.0 && timeout.is_finite()) {
                return Err(PyValueError::new_err("timeout must be a positive number of seconds"));
            }
            let mut c = sfd_client::Client::new(base_url).with_timeout(std::time::Duration::from_secs_f64(timeout));
            if let Some(k) = api_key {
                c = c.with_api_key(k);
            }
            Ok(Client {
                target: Arc::new(Target::Client(c)),
            })
        }
    }
}

/// The native module `sfd._sfd`.
#[pymodule]
fn _sfd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::init()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(validate_drama, m)?)?;
    m.add_class::<Studio>()?;
    m.add_class::<Client>()?;
    errors::register(m)?;
    Ok(())
}
