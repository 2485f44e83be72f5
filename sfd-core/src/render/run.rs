//! The render job: every node starts as soon as the files it needs are
//! saved, bounded per kind; each finished node is saved at once (file
//! first, then `url` and `metadata.render` in a CAS edit, see `save.rs`),
//! so a crash, restart or cancel loses only the nodes in flight.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;

use super::dag::Dag;
use super::graph::{Graph, Node, Planned, file_id, inputs_hash, library_inputs, plan_graph};
use super::prices::round_usd;
use super::save::{REPLACED, Saved, Saver};
use super::schedule::{HELD_BYTES, Held, Ready};
use super::{Media, MediaRequest, Reference, RenderConfig, Renderer};
use crate::library::{LibraryExt, LibraryProject};
use crate::model::{
    AssetKind, Candidates, Drama, FailedAsset, MediaKey, MediaUsage, PlanAction, Progress, ProgressFn, RenderRecord,
    RenderRequest, RenderResult, RenderedAsset, SkippedAsset, make_renderable, now_ms,
};
use crate::storage::{MediaStore, MediaStoreExt, Storage, StorageExt};
use crate::{Error, Result};

/// The media files of `storage`, or a configuration error.
pub(crate) fn media_of(storage: &dyn Storage) -> Result<&dyn MediaStore> {
    storage
        .media()
        .ok_or_else(|| Error::Config(format!("{} keeps no media files", storage.describe())))
}

/// The one door to a render's checks: the drama as it will render (with
/// portraits, a cover and references added), passed to `check`, and only
/// when that passes saved with what was added (one CAS edit). Each path
/// calls it once: the studio when it queues a job (its check refuses the
/// request before anything is stored), the job when it runs, on the drama
/// as it is then (it may have changed while queued, or before a crash and
/// resume). When an edit lands between the read and the save, `check`
/// runs again on the drama as saved, so its answer is about that drama.
pub(crate) async fn prepare<T>(
    storage: &dyn Storage,
    drama_id: &str,
    config: &RenderConfig,
    mut check: impl FnMut(&Drama) -> Result<T>,
) -> Result<(Drama, T)> {
    let mut drama = storage.get_drama(drama_id).await?.value;
    let aspect = config.aspect_ratio().to_string();
    let added = !make_renderable(&mut drama, &aspect).is_empty();
    let checked = check(&drama)?;
    if !added {
        return Ok((drama, checked));
    }
    let saved = storage
        .modify_drama(drama_id, None, |d| {
            make_renderable(d, &aspect);
            Ok(d.clone())
        })
        .await?
        .value;
    if saved == drama {
        return Ok((drama, checked));
    }
    let checked = check(&saved)?;
    Ok((saved, checked))
}

/// The plan of `request` on `drama` (made renderable), or what stops it:
/// an invalid request, a cycle, a dangling reference, a kind no renderer
/// makes, a storage without media files. Called through [`prepare`].
pub(crate) fn check_plan(
    drama: &Drama,
    request: &RenderRequest,
    config: &RenderConfig,
    storage: &dyn Storage,
    job_id: Option<&str>,
) -> Result<Planned> {
    let planned = plan_graph(drama, request, config, job_id)?;
    check_renderers(&planned, config)?;
    media_of(storage)?;
    Ok(planned)
}

/// [`Error::RendererNotConfigured`] when the plan needs a kind no renderer makes.
fn check_renderers(planned: &Planned, config: &RenderConfig) -> Result<()> {
    match planned
        .plan
        .nodes
        .iter()
        .find(|n| n.action == PlanAction::Blocked && config.renderer(n.kind).is_none())
    {
        Some(n) => Err(Error::RendererNotConfigured { kind: n.kind }),
        None => Ok(()),
    }
}

/// What every node task shares.
struct Ctx {
    storage: Arc<dyn Storage>,
    config: Arc<RenderConfig>,
    drama_id: String,
    job_id: String,
    saver: Saver,
    /// Where `library:{asset_id}` references are read.
    library: LibraryProject,
    /// Candidates per node, from the plan (best-of-N images).
    candidates: HashMap<String, u32>,
    /// Voice clones, one per character with a reference clip: its lines
    /// wait for the one clone (see `cloning.rs`).
    clones: HashMap<String, Arc<CloneCell>>,
}

/// The voice id cloned for one character, or why it could not be.
type CloneCell = tokio::sync::OnceCell<std::result::Result<String, (crate::LlmErrorKind, String)>>;

/// The voice id a line of `node` speaks in when its speaker has a
/// reference clip and `renderer` clones voices (cloned once per job,
/// reused across jobs); `None` otherwise.
async fn cloned_voice(ctx: &Ctx, renderer: &Arc<dyn Renderer>, node: &Node) -> Result<Option<String>> {
    let sample = node.voice.as_ref().and_then(|v| v.sample.as_ref());
    let (Some(sample), Some(cloner)) = (sample, renderer.cloner()) else {
        return Ok(None);
    };
    if renderer.capabilities().clones_voices.is_none() {
        return Ok(None);
    }
    let resolve = async || {
        super::cloning::voice_id(&ctx.storage, &ctx.drama_id, &ctx.job_id, cloner, sample)
            .await
            .map_err(|e| match e {
                Error::Render { kind, message, .. } => (kind, message),
                other => (crate::LlmErrorKind::Server, other.to_string()),
            })
    };
    let out = match ctx.clones.get(&sample.character_id) {
        Some(cell) => cell.get_or_init(resolve).await.clone(),
        None => resolve().await,
    };
    out.map(Some).map_err(|(kind, message)| {
        super::render_error(
            renderer.provider(),
            kind,
            None,
            format!("cloning {}'s voice: {message}", sample.character_id),
            0,
        )
    })
}

/// One input of a node: the dependency, its file's URL, key (in sfd's
/// media store) and identity, and its bytes when a node of this run made
/// them (shared, not re-read).
struct Input {
    id: String,
    url: Option<String>,
    key: Option<MediaKey>,
    file: Option<String>,
    bytes: Option<Bytes>,
}

/// A node ready to run: its inputs' files are known.
struct Task {
    node: Node,
    inputs: Vec<Input>,
    /// Candidates to make (best-of-N for images; 1 otherwise).
    candidates: u32,
}

/// A node that finished and was saved (or found replaced by an upload).
struct Done {
    key: MediaKey,
    url: String,
    replaced: bool,
    bytes: Bytes,
    usage: MediaUsage,
    cost_usd: f64,
    /// Best-of-N: every candidate, scored.
    candidates: Option<Candidates>,
    /// Candidates made beyond the kept one.
    extra: u32,
}

/// Reads the files `task` takes as references (shared bytes when this run
/// made them, the media store, the fetch rules, the library).
async fn references_of(ctx: &Ctx, task: &Task, media: &dyn MediaStore) -> Result<Vec<Reference>> {
    let node = &task.node;
    let mut references = Vec::new();
    for input in &task.inputs {
        let (media_type, bytes) = match (&input.key, &input.url, &input.bytes) {
            (Some(key), _, Some(b)) => (key.media_type(), b.clone()),
            (Some(key), _, None) => (key.media_type(), media.read_media_bytes(key).await?),
            // A file outside sfd's media store (an old `character.url`):
            // fetched under the fetch rules, or the node fails naming it.
            (None, Some(url), _) => super::fetch::fetch_reference(ctx.config.fetch_rules(), url)
                .await
                .map_err(|e| Error::invalid(format!("{}.depends_on", node.id), format!("input {}: {e}", input.id)))?,
            (None, None, _) => continue,
        };
        references.push(Reference {
            name: input.id.clone(),
            media_type,
            bytes,
        });
    }
    for (name, id) in library_inputs(node) {
        let (media_type, bytes) = ctx
            .storage
            .library_reference(&ctx.library, id.as_deref().unwrap_or_default())
            .await?;
        references.push(Reference {
            name,
            media_type,
            bytes,
        });
    }
    Ok(references)
}

/// One provider call for `kind`, metered; a file of another kind is an error.
pub(super) async fn call(
    config: &RenderConfig,
    renderer: &Arc<dyn Renderer>,
    request: MediaRequest,
    ledger: Option<&super::ledger::TaskLedger>,
) -> Result<Media> {
    let (asked, seconds, aspect_ratio) = (request.kind, request.duration, request.aspect_ratio);
    let started = std::time::Instant::now();
    let made = match renderer.tasks() {
        Some(tasks) => tasks.run(request, ledger).await,
        None => renderer.render(request).await,
    };
    let kind = crate::telemetry::label(asked);
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            let (p, m) = (renderer.provider(), renderer.model());
            crate::telemetry::render_call(p, m, &kind, "error", started.elapsed(), Default::default());
            return Err(e);
        }
    };
    let metered = crate::telemetry::RenderMade {
        bytes: made.bytes.len() as u64,
        cost_usd: config.prices().cost(&made.model, &made.usage),
    };
    crate::telemetry::render_call(&made.provider, &made.model, &kind, "ok", started.elapsed(), metered);
    if made.media_type.kind() != asked {
        return Err(super::render_error(
            &made.provider,
            crate::LlmErrorKind::Decode,
            None,
            format!("asked for {asked}, the provider sent {}", made.media_type),
            1,
        ));
    }
    // Each clip is brought to the cut's format once, so assemblies copy it.
    Ok(crate::assemble::format::normalised(config.ffmpeg(), aspect_ratio, seconds, made).await)
}

/// Renders, stores and saves one node, holding one call of its kind.
async fn render_node(ctx: Arc<Ctx>, task: Task, _call: OwnedSemaphorePermit) -> Result<Done> {
    let node = &task.node;
    let renderer = Arc::clone(ctx.config.require(node.kind)?);
    let media = media_of(&*ctx.storage)?;
    // Inputs are read when the node runs, and dropped when it ends.
    let references = references_of(&ctx, &task, media).await?;
    let request = MediaRequest {
        kind: node.kind,
        label: node.id.clone(),
        prompt: node.prompt.clone(),
        references,
        frames: node.frames,
        roles: Vec::new(),
        aspect_ratio: node.aspect_ratio,
        duration: node.duration,
        voice: node.voice.clone(),
        candidate: 0,
    };
    let mut request = request;
    if let (Some(id), Some(v)) = (cloned_voice(&ctx, &renderer, node).await?, request.voice.as_mut()) {
        v.name = id;
    }
    // The plan fitted the same request: snapped duration, capped references.
    let request = super::capabilities::fit_request(&renderer.capabilities(), request)
        .map_err(|limit| super::render_error(renderer.provider(), crate::LlmErrorKind::BadRequest, None, limit, 0))?;
    // A provider task is saved before it is polled, and resumed, never paid twice.
    let ledger = super::ledger::TaskLedger::new(Arc::clone(&ctx.storage), &ctx.drama_id, &node.id, &ctx.job_id)?;
    let picked = if task.candidates > 1 {
        let at = super::candidates::Target {
            config: &ctx.config,
            renderer: &renderer,
            media,
            drama_id: &ctx.drama_id,
            asset_id: &node.id,
        };
        at.best_of(request, task.candidates).await?
    } else {
        let made = call(&ctx.config, &renderer, request, Some(&ledger)).await?;
        let cost_usd = ctx.config.prices().cost(&made.model, &made.usage);
        let info = media
            .store_media(&ctx.drama_id, &node.id, made.media_type, made.bytes.clone())
            .await?;
        super::candidates::Picked::one(made, info, cost_usd)
    };
    let made = picked.made;
    let speech = made.speech.clone();
    let info = picked.info;
    let url = info.key.url(ctx.config.public_url());
    let cost_usd = round_usd(picked.cost_usd + picked.candidates.as_ref().map_or(0.0, |c| c.judge_cost_usd));
    let mut inputs: Vec<(String, Option<String>)> =
        task.inputs.iter().map(|i| (i.id.clone(), i.file.clone())).collect();
    inputs.extend(library_inputs(node));
    let record = RenderRecord {
        provider: made.provider,
        model: made.model,
        prompt_hash: node.prompt_hash.clone(),
        inputs_hash: inputs_hash(&inputs, node.voice.as_ref()),
        bytes: info.size,
        content_type: info.content_type().to_string(),
        rendered_at: now_ms(),
        usage: picked.usage,
        cost_usd,
        key: Some(info.key.path().to_string()),
        job_id: Some(ctx.job_id.clone()),
    };
    let saved = ctx
        .saver
        .save(super::save::Finished {
            node: node.clone(),
            url: url.clone(),
            record,
            speech,
            candidates: picked.candidates.clone(),
        })
        .await?;
    if renderer.tasks().is_some() {
        ledger.clear().await?;
    }
    let (url, replaced) = match saved {
        Saved::Written => (url, false),
        Saved::Replaced(upload) => (upload, true),
    };
    Ok(Done {
        key: info.key,
        url,
        replaced,
        bytes: made.bytes,
        usage: picked.usage,
        cost_usd,
        candidates: picked.candidates,
        extra: picked.extra,
    })
}

/// The nodes in flight and those waiting for a call.
struct Flight<'a> {
    set: JoinSet<Result<Done>>,
    running: HashMap<tokio::task::Id, &'a str>,
    held: Held,
    ready: Ready<'a>,
}

/// Starts every ready node its kind has a call for, with its inputs.
fn start_ready<'a>(flight: &mut Flight<'a>, graph: &Graph, files: &HashMap<String, String>, ctx: &Arc<Ctx>) {
    while let Some((id, call)) = flight.ready.next() {
        let Some(node) = graph.get(id).cloned() else {
            continue;
        };
        let mut inputs: Vec<Input> = node
            .edges
            .iter()
            .map(|e| {
                let url = files.get(e);
                Input {
                    id: e.clone(),
                    url: url.cloned(),
                    key: url.and_then(|u| MediaKey::from_url(u)),
                    file: url.map(|u| file_id(u)),
                    bytes: flight.held.take(e),
                }
            })
            .collect();
        let candidates = ctx.candidates.get(id).copied().unwrap_or(1);
        if node.kind == AssetKind::Video {
            // A video provider may take only one image (the first frame):
            // the scene's own keyframe goes first, then portraits.
            inputs.sort_by_key(|i| graph.get(&i.id).is_none_or(|d| d.owner != node.owner));
        }
        let task_id = flight
            .set
            // The node is part of the job: its waits on providers give the job's slot back.
            .spawn(crate::llm::slot::carried(render_node(
                Arc::clone(ctx),
                Task {
                    node,
                    inputs,
                    candidates,
                },
                call,
            )))
            .id();
        flight.running.insert(task_id, id);
    }
    flight.held.release_unshared();
}

/// Queues `ids` (ready nodes) for a call of their kind.
fn queue<'a>(flight: &mut Flight<'a>, graph: &Graph, ids: Vec<&'a str>) {
    for id in ids {
        if let Some(n) = graph.get(id) {
            flight.ready.push(n.kind, id);
        }
    }
}

/// The progress of one kind.
#[derive(Default, Clone, Copy)]
struct Count {
    done: u32,
    total: u32,
}

/// Runs a render of `request` on drama `drama_id` for job `job_id`.
pub(crate) async fn run(
    storage: Arc<dyn Storage>,
    config: Arc<RenderConfig>,
    drama_id: &str,
    request: &RenderRequest,
    job_id: &str,
    progress: ProgressFn<'_>,
) -> Result<RenderResult> {
    // One render of a drama at a time in this process: a second render
    // (a double click, an asset render during a drama render) plans once the
    // first is done, so it finds the files the first made and pays nothing twice.
    let _turn = super::turns::wait(&*storage, drama_id).await;
    let check = |d: &Drama| check_plan(d, request, &config, &*storage, Some(job_id));
    let (drama, Planned { graph, plan }) = prepare(&*storage, drama_id, &config, check).await?;
    let mut result = RenderResult {
        drama_id: drama_id.to_string(),
        ..Default::default()
    };
    for n in plan.nodes.iter().filter(|n| !n.action.renders()) {
        result.skipped.push(SkippedAsset {
            asset_id: n.asset_id.clone(),
            reason: n.reason.clone().unwrap_or_default(),
        });
    }
    // Files known so far: the current ones, replaced as nodes finish.
    let mut files: HashMap<String, String> = graph
        .nodes
        .iter()
        .filter_map(|n| Some((n.id.clone(), n.url.clone()?)))
        .collect();
    let mut counts = [Count::default(); 3];
    let mut to_run = Vec::new();
    for n in plan.to_render() {
        let node = graph
            .get(&n.asset_id)
            .ok_or_else(|| Error::invalid("assets", format!("'{}' vanished", n.asset_id)))?;
        counts[node.kind.index()].total += 1;
        to_run.push((node.id.as_str(), node.edges.iter().map(String::as_str)));
    }
    // Pre-sorted by level, so the first nodes queue first.
    let mut dag = Dag::new(to_run);
    let ctx = Arc::new(Ctx {
        library: LibraryProject::of_drama(&drama)?,
        saver: Saver::start(Arc::clone(&storage), drama_id),
        storage,
        drama_id: drama_id.to_string(),
        job_id: job_id.to_string(),
        config: Arc::clone(&config),
        candidates: plan
            .to_render()
            .filter_map(|n| Some((n.asset_id.clone(), n.candidates.as_ref()?.count)))
            .collect(),
        clones: graph
            .nodes
            .iter()
            .filter_map(|n| n.voice.as_ref()?.sample.as_ref())
            .map(|s| (s.character_id.clone(), Arc::new(CloneCell::new())))
            .collect(),
    });
    if let Some(n) = plan.to_render().next() {
        progress(Progress::new(n.kind, 0, counts[n.kind.index()].total));
    }
    let mut flight = Flight {
        set: JoinSet::new(),
        running: HashMap::new(),
        held: Held::new(HELD_BYTES),
        ready: Ready::new(|k| config.concurrency(k)),
    };
    queue(&mut flight, &graph, dag.ready());
    start_ready(&mut flight, &graph, &files, &ctx);
    while let Some(joined) = flight.set.join_next_with_id().await {
        let (task_id, outcome) = match joined {
            Ok((task_id, outcome)) => (task_id, outcome),
            Err(e) => (
                e.id(),
                Err(Error::invalid("render", format!("the render task stopped: {e}"))),
            ),
        };
        let Some(id) = flight.running.remove(&task_id) else {
            continue;
        };
        let kind = graph.get(id).map(|n| n.kind).unwrap_or(AssetKind::Image);
        match outcome {
            Ok(done) => {
                files.insert(id.to_string(), done.url.clone());
                result.usage += done.usage;
                result.cost_usd += done.cost_usd;
                result.extra_candidates += done.extra;
                if let Some(c) = &done.candidates {
                    *result.judge_usage.get_or_insert_default() += c.judge_usage;
                    *result.judge_cost_usd.get_or_insert_default() += c.judge_cost_usd;
                    if let Some(w) = &c.warning {
                        result.warnings.push(SkippedAsset {
                            asset_id: id.to_string(),
                            reason: w.clone(),
                        });
                    }
                }
                if done.replaced {
                    // Dependants read the uploaded file from the store.
                    tracing::info!(asset = id, "{REPLACED}");
                    result.skipped.push(SkippedAsset {
                        asset_id: id.to_string(),
                        reason: REPLACED.to_string(),
                    });
                } else {
                    flight.held.keep(id, done.bytes, dag.takers(id));
                    tracing::debug!(asset = id, key = %done.key, "rendered");
                    result.rendered.push(RenderedAsset {
                        asset_id: id.to_string(),
                        url: done.url,
                        usage: done.usage,
                        cost_usd: done.cost_usd,
                    });
                }
                queue(&mut flight, &graph, dag.finish(id));
            }
            Err(e) => {
                tracing::warn!(asset = id, error = %e, "render of an asset failed");
                result.failed.push(FailedAsset {
                    asset_id: id.to_string(),
                    error: e.to_string(),
                });
                // Everything that needs it, directly or not, is skipped.
                for d in dag.fail(id) {
                    if let Some(n) = graph.get(d) {
                        counts[n.kind.index()].total = counts[n.kind.index()].total.saturating_sub(1);
                        n.edges.iter().for_each(|e| drop(flight.held.take(e)));
                    }
                    result.skipped.push(SkippedAsset {
                        asset_id: d.to_string(),
                        reason: format!("its input {id} failed"),
                    });
                }
            }
        }
        let c = &mut counts[kind.index()];
        c.done += 1;
        progress(Progress::new(kind, c.done, c.total));
        start_ready(&mut flight, &graph, &files, &ctx);
    }
    result.cost_usd = round_usd(result.cost_usd);
    result.judge_cost_usd = result.judge_cost_usd.map(round_usd);
    Ok(result)
}

/// The job error for a render whose nodes failed, naming each.
pub(crate) fn failure_message(result: &RenderResult) -> String {
    let total = result.rendered.len() + result.failed.len();
    let named: Vec<String> = result
        .failed
        .iter()
        .take(5)
        .map(|f| format!("{}: {}", f.asset_id, f.error))
        .collect();
    let more = result.failed.len().saturating_sub(named.len());
    format!(
        "{} of {total} assets failed to render: {}{}",
        result.failed.len(),
        named.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )
}
