//! Spawning the server for a test.

use std::sync::Arc;
use std::time::Duration;

use sfd_client::Client;
use sfd_core::{Llm, RenderConfig, RunnerConfig, SimulatedLlm, Storage, StorageBuilder, Studio};
use sfd_server::AppState;
use tokio::sync::oneshot;

pub struct TestServer {
    pub client: Client,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Options {
    pub storage: Option<Arc<dyn Storage>>,
    pub llm: Option<Arc<dyn Llm>>,
    pub keys: Vec<String>,
    pub body_limit: usize,
    pub rate_limit: f64,
    pub keep_alive: Option<Duration>,
    pub render: RenderConfig,
    pub media_limit: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            storage: None,
            llm: Some(Arc::new(SimulatedLlm::instant())),
            keys: Vec::new(),
            body_limit: sfd_server::DEFAULT_BODY_LIMIT,
            rate_limit: 0.0,
            keep_alive: None,
            render: RenderConfig::new(),
            media_limit: sfd_server::DEFAULT_MEDIA_LIMIT,
        }
    }
}

pub fn fast_runner() -> RunnerConfig {
    RunnerConfig {
        lease: Duration::from_millis(500),
        poll_interval: Duration::from_millis(25),
        progress_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(Options::default()).await
    }

    /// A server that asks for one of `keys` (the client sends the first).
    pub async fn with_keys(keys: &[&str]) -> Self {
        Self::with(Options {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        })
        .await
    }

    pub async fn with(o: Options) -> Self {
        let storage = o
            .storage
            .unwrap_or_else(|| Arc::new(StorageBuilder::memory().build().unwrap()));
        let studio = Studio::builder(Arc::clone(&storage))
            .with_llm_option(o.llm)
            .with_render(o.render)
            .with_runner_config(fast_runner())
            .start();
        let mut state = AppState::new(studio)
            .with_media_limit(o.media_limit)
            .with_api_keys(o.keys.clone())
            .with_body_limit(o.body_limit)
            .with_rate_limit(o.rate_limit);
        if let Some(every) = o.keep_alive {
            state = state.with_keep_alive(every);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            sfd_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let mut client = Client::new(&base).with_retries(0, Duration::from_millis(1));
        if let Some(k) = o.keys.first() {
            client = client.with_api_key(k);
        }
        TestServer {
            client,
            base,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Graceful shutdown: stop accepting, drain, hand jobs back.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

pub fn v5() -> sfd_core::Drama {
    sfd_core::Drama::from_slice(&fixture("corgi_musk_v5.json")).unwrap()
}
