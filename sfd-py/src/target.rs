//! What the operations run against (the embedded core or a remote server),
//! and why an operation failed.

use std::sync::Arc;

use pyo3::PyErr;
use pyo3::exceptions::PyValueError;
use sfd_core::{Llm, OpenAiConfig, OpenAiLlm, RenderConfig, RunnerConfig, SimulatedLlm, StorageBuilder, Studio};
use tokio::runtime::Runtime;

use crate::errors;

/// What the operations run against.
pub(crate) enum Target {
    /// The embedded core.
    Studio(Studio),
    /// A remote server.
    Client(sfd_client::Client),
}

/// Why an operation failed.
pub(crate) enum OpError {
    Core(sfd_core::Error),
    Client(sfd_client::Error),
    Args(String),
}

impl From<sfd_core::Error> for OpError {
    fn from(e: sfd_core::Error) -> Self {
        OpError::Core(e)
    }
}

impl From<sfd_client::Error> for OpError {
    fn from(e: sfd_client::Error) -> Self {
        OpError::Client(e)
    }
}

impl OpError {
    pub(crate) fn into_py_err(self) -> PyErr {
        match self {
            OpError::Core(e) => errors::from_core(e),
            OpError::Client(e) => errors::from_client(e),
            OpError::Args(m) => PyValueError::new_err(m),
        }
    }
}

/// The result of an operation.
pub(crate) type R<T> = Result<T, OpError>;

/// A studio on `storage`, with the LLM named by `llm` (`env`, `simulated`,
/// `none`) and the renderers named by `render` (the same three), started
/// on `rt`.
pub(crate) fn studio(rt: &Runtime, storage: &str, llm: &str, render: &str) -> sfd_core::Result<Target> {
    let _inside = rt.enter();
    let env = |k: &str| std::env::var(k).ok();
    let storage = Arc::new(StorageBuilder::from_url(storage)?.build()?);
    let llm: Option<Arc<dyn Llm>> = match llm {
        "simulated" => Some(Arc::new(SimulatedLlm::instant())),
        "none" => None,
        "env" => match OpenAiConfig::from_env_vars(env)? {
            Some(c) => Some(Arc::new(OpenAiLlm::new(c)?)),
            None => None,
        },
        other => return Err(choice("llm", other)),
    };
    let render = match render {
        "simulated" => RenderConfig::simulated(),
        "none" => RenderConfig::new(),
        "env" => RenderConfig::from_env_vars(env)?,
        other => return Err(choice("render", other)),
    };
    Ok(Target::Studio(
        Studio::builder(storage)
            .with_llm_option(llm)
            .with_render(render)
            .with_runner_config(RunnerConfig::default())
            .start(),
    ))
}

fn choice(what: &str, got: &str) -> sfd_core::Error {
    sfd_core::Error::Config(format!("{what} must be 'env', 'simulated' or 'none', not '{got}'"))
}
