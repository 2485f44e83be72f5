//! # sfd-server
//!
//! The HTTP/OpenAPI service of sfd on hyper 1.x: every route of the old
//! drama server's contract plus sfd's fixes and additions, over
//! [`sfd_core::Studio`]. [`serve`] runs it on any listener until `shutdown`
//! resolves, then drains in-flight requests and hands running jobs back.
//!
//! ```no_run
//! use std::sync::Arc;
//! use sfd_core::{RunnerConfig, StorageBuilder, Studio};
//!
//! # #[tokio::main] async fn main() -> sfd_server::Result<()> {
//! let storage = Arc::new(StorageBuilder::local("./data").build()?);
//! let state = sfd_server::AppState::new(Studio::new(storage, None, RunnerConfig::default()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! sfd_server::serve(listener, state, sfd_server::shutdown_signal()).await
//! # }
//! ```

mod access_log;
mod config;
mod doors;
mod dramas;
mod dramas_form;
mod error;
mod export;
pub mod graphql;
mod http;
pub mod library;
mod mcp;
mod media;
mod media_config;
mod metrics;
mod migrate;
mod nested;
pub mod openapi;
mod openapi_doors;
mod openapi_library;
mod openapi_media;
mod ratelimit;
mod render;
pub mod router;
mod service;
mod state;
mod studio;

use std::future::Future;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

pub use config::{Config, LogFormat, init_tracing, init_tracing_to_stderr};
pub use error::{Error, HttpError, Result};
pub use http::{DEFAULT_BODY_LIMIT, DEFAULT_MEDIA_LIMIT};
pub use mcp::{Command, serve_stdio as serve_mcp_stdio};
pub use media_config::MediaConfig;
pub use migrate::migrate;
pub use state::AppState;

/// How long in-flight requests may take to finish after shutdown starts.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `state` on `listener` until `shutdown` resolves; then stops
/// accepting, lets in-flight requests finish (up to [`DRAIN_TIMEOUT`]),
/// ends event streams, and hands running jobs back to the queue.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()>) -> Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let svc = service_fn(move |req| service::handle(state.clone(), peer, req));
                // Malformed header lines are dropped rather than answered with
                // hyper's bare 400, so every answer keeps the JSON error shape.
                let conn = http1::Builder::new()
                    .ignore_invalid_headers(true)
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(30))
                    .serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down: draining in-flight requests");
    let _ = state.inner.stopping.send(true);
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
    state.inner.studio.shutdown().await;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
