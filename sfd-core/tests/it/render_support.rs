//! What the render tests share: a renderer that counts and can hang,
//! sample dramas, and decoders for the files.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sfd_core::{
    Asset, AssetKind, Character, Drama, Episode, Media, MediaRequest, Price, PriceTable, RenderConfig, Renderer,
    RunnerConfig, Scene, SimulatedRenderer, Storage, Studio,
};
use tokio::sync::watch;

/// Counts a dropped (cancelled) call.
struct OnDrop(Arc<AtomicUsize>, watch::Sender<usize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        self.1.send_replace(n);
    }
}

/// Wraps a renderer: counts calls per asset, and hangs (until the call is
/// dropped) on the assets `hang` picks.
pub struct Gate {
    inner: Arc<dyn Renderer>,
    hang: Box<dyn Fn(&MediaRequest) -> bool + Send + Sync>,
    pub started: Mutex<HashMap<String, usize>>,
    pub completed: Mutex<HashMap<String, usize>>,
    hung: AtomicUsize,
    pub hung_tx: watch::Sender<usize>,
    dropped: Arc<AtomicUsize>,
    pub dropped_tx: watch::Sender<usize>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gate")
    }
}

impl Gate {
    pub fn new(inner: Arc<dyn Renderer>, hang: impl Fn(&MediaRequest) -> bool + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Gate {
            inner,
            hang: Box::new(hang),
            started: Mutex::default(),
            completed: Mutex::default(),
            hung: AtomicUsize::new(0),
            hung_tx: watch::channel(0).0,
            dropped: Arc::new(AtomicUsize::new(0)),
            dropped_tx: watch::channel(0).0,
        })
    }

    /// Counts only.
    pub fn counting(inner: Arc<dyn Renderer>) -> Arc<Self> {
        Self::new(inner, |_| false)
    }

    /// Waits until `n` calls are hanging.
    pub async fn wait_hung(&self, n: usize) {
        self.hung_tx.subscribe().wait_for(|h| *h >= n).await.unwrap();
    }

    /// Waits until `n` hanging calls were dropped.
    pub async fn wait_dropped(&self, n: usize) {
        self.dropped_tx.subscribe().wait_for(|d| *d >= n).await.unwrap();
    }

    pub fn completed(&self, id: &str) -> usize {
        self.completed.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    pub fn started(&self, id: &str) -> usize {
        self.started.lock().unwrap().get(id).copied().unwrap_or(0)
    }
}

#[async_trait]
impl Renderer for Gate {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        *self.started.lock().unwrap().entry(request.label.clone()).or_default() += 1;
        if (self.hang)(&request) {
            let _dropped = OnDrop(Arc::clone(&self.dropped), self.dropped_tx.clone());
            let n = self.hung.fetch_add(1, Ordering::SeqCst) + 1;
            self.hung_tx.send_replace(n);
            std::future::pending::<()>().await;
        }
        let label = request.label.clone();
        let out = self.inner.render(request).await?;
        *self.completed.lock().unwrap().entry(label).or_default() += 1;
        Ok(out)
    }

    fn provider(&self) -> &str {
        self.inner.provider()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

/// Job settings for tests: short leases, quick polling.
pub fn fast_runner() -> RunnerConfig {
    crate::jobs::fast_config()
}

/// A studio on `storage` rendering every kind with `renderer`.
pub fn studio(storage: Arc<dyn Storage>, renderer: Arc<dyn Renderer>) -> Studio {
    studio_with(storage, config_for(renderer))
}

/// A render config with `renderer` for every kind and generous concurrency.
pub fn config_for(renderer: Arc<dyn Renderer>) -> RenderConfig {
    AssetKind::ALL.iter().fold(RenderConfig::new(), |c, k| {
        c.with_renderer(*k, Arc::clone(&renderer)).with_concurrency(*k, 8)
    })
}

/// The simulated renderer for every kind, at $0.04 an image and $0.10 a second.
pub fn priced_with(renderer: Arc<dyn Renderer>) -> RenderConfig {
    let price = Price {
        per_image: 0.04,
        per_second: 0.1,
        ..Default::default()
    };
    config_for(renderer).with_prices(PriceTable::empty().with_price("simulated", price))
}

/// [`priced_with`] a fresh simulated renderer.
pub fn priced() -> RenderConfig {
    priced_with(simulated())
}

pub fn studio_with(storage: Arc<dyn Storage>, config: RenderConfig) -> Studio {
    Studio::builder(storage)
        .with_llm(Arc::new(sfd_core::SimulatedLlm::instant()))
        .with_render(config)
        .with_runner_config(fast_runner())
        .start()
}

pub fn simulated() -> Arc<SimulatedRenderer> {
    Arc::new(SimulatedRenderer::new())
}

/// A drama of `chars` characters (all on screen) and `episodes` × `scenes`
/// scenes, each with an image (on its characters), a video of `seconds` and,
/// when `voices`, a spoken line; no portraits or cover yet.
pub fn sample(id: &str, chars: usize, episodes: usize, scenes: usize, seconds: i64, voices: bool) -> Drama {
    let mut d = Drama::new(id, "The Corgi Launch", "A dog builds rockets.", "corgi tycoon");
    for c in 0..chars {
        let mut ch = Character::new(
            format!("char-{c}"),
            format!("Hero {c}"),
            format!("looks like number {c}"),
        );
        ch.main = c == 0;
        ch.voice_description = Some(format!("voice {c}"));
        d.characters.push(ch);
    }
    let mut n = 0;
    for e in 1..=episodes {
        let mut ep = Episode::new(format!("ep{e}"), format!("Episode {e}"), "synopsis");
        for s in 1..=scenes {
            let sid = format!("ep{e}-sc{s}");
            let mut sc = Scene::new(&sid, format!("scene {sid}"));
            let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, format!("keyframe of {sid}"));
            img.depends_on = (0..2.min(chars)).map(|k| format!("char-{}", (n + k) % chars)).collect();
            n += 1;
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, format!("clip of {sid}"));
            vid.depends_on = vec![img.id.clone()];
            vid.duration = Some(seconds);
            sc.assets = vec![img, vid];
            if voices {
                let mut aud = Asset::new(format!("{sid}-aud"), AssetKind::Audio, format!("Line spoken in {sid}."));
                aud.depends_on = vec![format!("char-{}", n % chars)];
                sc.assets.push(aud);
            }
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
    }
    d
}

/// Asserts that ffmpeg decodes the whole file without a complaint.
pub fn decodes(bytes: &[u8], ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("file.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&path)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg must be installed (apt-get install ffmpeg)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Width and height from a PNG's IHDR, after a full decode.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    decodes(bytes, "png");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// Seconds of a 16-bit PCM WAV (checks the header, decodes it).
pub fn wav_length(bytes: &[u8]) -> f64 {
    decodes(bytes, "wav");
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    let byte_rate = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
    assert_eq!(&bytes[36..40], b"data");
    let len = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    assert_eq!(len as usize, bytes.len() - 44);
    f64::from(len) / f64::from(byte_rate)
}

/// The duration ffprobe reads from an MP4 (checks the `ftyp` box).
pub fn mp4_seconds(bytes: &[u8]) -> f64 {
    assert_eq!(&bytes[4..8], b"ftyp", "not an MP4");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe must be installed (apt-get install ffmpeg)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}
