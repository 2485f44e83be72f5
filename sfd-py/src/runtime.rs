//! One shared tokio runtime per process (made again after a fork), and the
//! bridges from Python calls to it.

use std::future::{Future, Ready};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::future::Either;
use pyo3_async_runtimes::{TaskLocals, generic};
use tokio::task::JoinHandle;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::runtime::{Builder, Runtime};

use crate::target::{OpError, Target};
use crate::{media, ops};

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

/// Starts this process's runtime.
pub(crate) fn init() -> PyResult<()> {
    get().map(|_| ())
}

/// The runtime the awaitables run on: always this process's own.
///
/// `pyo3_async_runtimes::tokio` keeps the first runtime it is given for the
/// life of the process, so in a forked child (gunicorn, celery prefork) its
/// tasks would go to the parent's runtime, whose threads do not exist there,
/// and every `_async` call would hang. This runtime asks [`get`] each time.
struct ForkSafe;

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

impl generic::Runtime for ForkSafe {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = Either<JoinHandle<()>, Ready<Result<(), tokio::task::JoinError>>>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // `call_async` made sure the runtime exists, so this never fails.
        match get() {
            Ok(rt) => Either::Left(rt.spawn(fut)),
            Err(_) => Either::Right(std::future::ready(Ok(()))),
        }
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        match get() {
            Ok(rt) => Either::Left(rt.spawn_blocking(f)),
            Err(_) => Either::Right(std::future::ready(Ok(()))),
        }
    }
}

impl generic::ContextExt for ForkSafe {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|c| c.get().cloned()).unwrap_or_default()
    }
}

/// Runs an operation to the end with the GIL released; `data` is an
/// upload's content.
pub(crate) fn call(
    py: Python<'_>,
    target: Arc<Target>,
    op: &str,
    args: &str,
    data: Option<Vec<u8>>,
) -> PyResult<String> {
    let rt = get()?;
    let (op, args) = (op.to_string(), args.to_string());
    py.detach(move || rt.block_on(ops::dispatch(&target, &op, &args, data)))
        .map_err(OpError::into_py_err)
}

/// Starts an operation and returns an awaitable for its result.
pub(crate) fn call_async(
    py: Python<'_>,
    target: Arc<Target>,
    op: String,
    args: String,
    data: Option<Vec<u8>>,
) -> PyResult<Bound<'_, PyAny>> {
    get()?;
    generic::future_into_py::<ForkSafe, _, _>(py, async move {
        ops::dispatch(&target, &op, &args, data)
            .await
            .map_err(OpError::into_py_err)
    })
}

/// Runs a download or an export with the GIL released; answers its bytes.
pub(crate) fn fetch(py: Python<'_>, target: Arc<Target>, op: &str, args: &str) -> PyResult<Py<PyBytes>> {
    let rt = get()?;
    let (op, args) = (op.to_string(), args.to_string());
    let bytes = py
        .detach(move || rt.block_on(media::fetch(&target, &op, &args)))
        .map_err(OpError::into_py_err)?;
    Ok(PyBytes::new(py, &bytes).unbind())
}

/// The same as [`fetch`], as an awaitable.
pub(crate) fn fetch_async(py: Python<'_>, target: Arc<Target>, op: String, args: String) -> PyResult<Bound<'_, PyAny>> {
    get()?;
    generic::future_into_py::<ForkSafe, _, _>(py, async move {
        let bytes = media::fetch(&target, &op, &args).await.map_err(OpError::into_py_err)?;
        Ok(std::borrow::Cow::<'static, [u8]>::Owned(bytes))
    })
}
