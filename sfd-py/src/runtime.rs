//! One shared tokio runtime per process (made again after a fork), and the
//! bridges from Python calls to it.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::{Builder, Runtime};

use crate::ops::{self, Target};

/// The runtime and the process it was made in: a forked child, which has
/// none of the parent's threads, gets a fresh one.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

pub(crate) fn get() -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((p, rt)) = *slot
        && p == pid
    {
        return Ok(rt);
    }
    let rt = Builder::new_multi_thread()
        .enable_all()
        .thread_name("sfd")
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("could not start the tokio runtime: {e}")))?;
    // Kept for the life of the process; a parent's runtime is abandoned in a child.
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    *slot = Some((pid, rt));
    Ok(rt)
}

/// Makes the awaitables run on the same runtime.
pub(crate) fn init() -> PyResult<()> {
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(get()?);
    Ok(())
}

/// Runs an operation to the end with the GIL released.
pub(crate) fn call(py: Python<'_>, target: Arc<Target>, op: &str, args: &str) -> PyResult<String> {
    let rt = get()?;
    let (op, args) = (op.to_string(), args.to_string());
    py.detach(move || rt.block_on(ops::dispatch(&target, &op, &args)))
        .map_err(ops::OpError::into_py_err)
}

/// Starts an operation and returns an awaitable for its result.
pub(crate) fn call_async(py: Python<'_>, target: Arc<Target>, op: String, args: String) -> PyResult<Bound<'_, PyAny>> {
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        ops::dispatch(&target, &op, &args)
            .await
            .map_err(ops::OpError::into_py_err)
    })
}
