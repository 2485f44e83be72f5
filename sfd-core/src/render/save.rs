//! Saving finished nodes: a node's `url` and `metadata.render` are written
//! in one CAS edit before the node counts as done, so concurrent document
//! edits are kept. Nodes that finish while an edit is being written share
//! the next one, so many nodes finishing at once cost few edits.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::graph::Node;
use crate::error::EntityKind;
use crate::model::portrait_id;
use crate::model::{AssetKind, AssetOwner, Candidates, Drama, RenderRecord};
use crate::storage::{Storage, StorageExt};
use crate::{Error, Result};

/// One finished node to save.
pub(crate) struct Finished {
    pub node: Node,
    pub url: String,
    pub record: RenderRecord,
    /// A line's timing (`metadata.speech`).
    pub speech: Option<super::SpeechTiming>,
    /// Best-of-N: every candidate, stored beside the record.
    pub candidates: Option<Candidates>,
}

/// What became of a finished node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Its `url` and `metadata.render` were written.
    Written,
    /// A file was put at the asset while it rendered (this URL): the upload wins.
    Replaced(String),
}

/// Why a replaced node was not saved.
pub(crate) const REPLACED: &str = "replaced by an upload while it rendered";

struct Request {
    item: Finished,
    reply: oneshot::Sender<Result<Saved>>,
}

/// Saves finished nodes of one drama; stops (dropping unsaved work) when dropped.
pub(crate) struct Saver {
    tx: mpsc::UnboundedSender<Request>,
    task: JoinHandle<()>,
}

impl Drop for Saver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sets the node's `url` and `metadata.render`, and the character's `url`
/// for a portrait, the scene's `image_url` / `video_url` for its first
/// image / video; unless the asset got another file while it rendered.
fn apply(d: &mut Drama, f: &Finished) -> Result<Saved> {
    let node = &f.node;
    let asset = d
        .assets_mut()
        .find(|a| a.id == node.id)
        .ok_or_else(|| Error::NotFound {
            kind: EntityKind::Asset,
            id: node.id.clone(),
        })?;
    match &asset.url {
        Some(now) if Some(now) != node.url.as_ref() => return Ok(Saved::Replaced(now.clone())),
        _ => {}
    }
    asset.url = Some(f.url.clone());
    f.record.store(asset);
    let mut deps = Vec::new();
    if node.kind == AssetKind::Audio {
        super::SpeechTiming::store(f.speech.as_ref(), asset);
        deps = asset.depends_on.clone();
    }
    if let Some(c) = &f.candidates {
        c.store(asset);
    }
    // A line's speaker is the first character it depends on.
    if let (Some(c), Some(v)) = (deps.iter().find(|c| d.character(c).is_some()), &node.voice) {
        keep_voice(d.character_mut(c)?, &v.name);
    }
    point_owner(d, &node.owner, &node.id, node.kind, &f.url)?;
    Ok(Saved::Written)
}

/// Points the owner at a new file of asset `id`: the character's `url` for
/// its portrait, the scene's `image_url` / `video_url` for its first image / video.
pub(crate) fn point_owner(d: &mut Drama, owner: &AssetOwner, id: &str, kind: AssetKind, url: &str) -> Result<()> {
    match owner {
        AssetOwner::Character(c) if id == portrait_id(c) => {
            d.character_mut(c)?.url = Some(url.to_string());
        }
        AssetOwner::Scene { episode, scene } => {
            let s = d.scene_mut(episode, scene)?;
            let first = s.assets.iter().find(|a| a.kind == kind).map(|a| a.id == id);
            match kind {
                AssetKind::Image if first == Some(true) => s.image_url = Some(url.to_string()),
                AssetKind::Video if first == Some(true) => s.video_url = Some(url.to_string()),
                _ => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// Keeps the voice a character's line was spoken in as its `metadata.voice`
/// (the same one for every line and every later render), unless it has one.
fn keep_voice(c: &mut crate::model::Character, voice: &str) {
    let m = c.metadata.get_or_insert_with(Default::default);
    let set = m
        .get("voice")
        .and_then(|v| v.as_str())
        .is_some_and(|v| !v.trim().is_empty());
    if !set {
        m.insert("voice".into(), voice.into());
    }
}

async fn run(storage: Arc<dyn Storage>, drama_id: String, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let outcome = storage
            .modify_drama(&drama_id, None, |d| {
                Ok(batch.iter().map(|r| apply(d, &r.item)).collect::<Vec<_>>())
            })
            .await;
        match outcome {
            Ok(each) => {
                for (r, result) in batch.into_iter().zip(each.value) {
                    let _ = r.reply.send(result);
                }
            }
            Err(e) => {
                let message = e.to_string();
                for r in batch {
                    let _ = r.reply.send(Err(Error::Storage {
                        key: format!("dramas/{drama_id}.json"),
                        source: message.clone().into(),
                    }));
                }
            }
        }
    }
}

impl Saver {
    pub(crate) fn start(storage: Arc<dyn Storage>, drama_id: &str) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Saver {
            tx,
            task: tokio::spawn(run(storage, drama_id.to_string(), rx)),
        }
    }

    /// Saves `item`; returns once it is written (or failed, or found replaced).
    pub(crate) async fn save(&self, item: Finished) -> Result<Saved> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send(Request { item, reply })
            .map_err(|_| Error::Cancelled("the render stopped".into()))?;
        done.await.map_err(|_| Error::Cancelled("the render stopped".into()))?
    }
}
