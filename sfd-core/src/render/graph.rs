//! The render graph: assets linked by `depends_on` (a character id means
//! its portrait), ordered in levels, and the plan of what a render does.
//! Reads documents, never writes them.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::{AspectRatio, Frames, RenderConfig, Voice, voice, voice_clone};
use crate::model::{
    Asset, AssetKind, AssetOwner, Drama, MediaKey, PlanAction, PlanCandidates, PlanNode, Problem, Problems, RenderPlan,
    RenderRecord, RenderRequest,
};
use crate::model::{make_renderable, portrait_id};
use crate::{Error, Result};

/// The hash that decides whether an asset's prompt changed: the kind, the
/// prompt, the length and the frame.
pub fn prompt_hash(kind: AssetKind, prompt: &str, duration: Option<u32>, aspect_ratio: AspectRatio) -> String {
    let mut h = Sha256::new();
    h.update(format!("sfd-render-1\0{kind}\0{duration:?}\0{aspect_ratio}\0"));
    h.update(prompt.as_bytes());
    crate::storage::sha256_hex(&h.finalize())
}

/// The hash that decides whether an asset's inputs changed: each input's
/// id and file (its content hash, or its URL), and the voice (with the
/// hash of the speaker's reference clip, when it has one).
pub fn inputs_hash(inputs: &[(String, Option<String>)], voice: Option<&Voice>) -> String {
    let mut lines: Vec<String> = inputs
        .iter()
        .map(|(id, file)| format!("{id}={}", file.as_deref().unwrap_or("-")))
        .collect();
    lines.sort();
    if let Some(v) = voice {
        lines.push(format!(
            "voice={}|{}",
            v.name,
            v.instructions.as_deref().unwrap_or_default()
        ));
        if let Some(sample) = &v.sample {
            lines.push(format!("voice_sample={}", sample.hash));
        }
    }
    crate::storage::sha256_hex(lines.join("\n").as_bytes())
}

/// What identifies a file when deciding staleness: the content hash of a
/// media URL, any other URL as it is.
pub(crate) fn file_id(url: &str) -> String {
    MediaKey::from_url(url)
        .map(|k| k.hash().to_string())
        .unwrap_or_else(|| url.to_string())
}

/// One asset in the graph, with everything needed to render it.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "jobs"), allow(dead_code))]
pub(crate) struct Node {
    pub id: String,
    pub owner: AssetOwner,
    pub kind: AssetKind,
    /// The assets whose files it takes, most important first (a video's
    /// keyframe, then its last frame).
    pub edges: Vec<String>,
    /// Which leading edges are a video's frames.
    pub frames: Frames,
    /// The library assets it takes as references (`library:{asset_id}` in `depends_on`).
    pub library: Vec<String>,
    /// The voice (speech).
    pub voice: Option<Voice>,
    pub level: u32,
    pub prompt: String,
    pub duration: Option<u32>,
    pub aspect_ratio: AspectRatio,
    pub prompt_hash: String,
    pub url: Option<String>,
    pub record: Option<RenderRecord>,
    order: usize,
}

/// Every asset of a drama in topological order (by level, then document order).
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Graph {
    pub fn get(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }
}

/// Every asset with its owner, in document order.
/// Every asset a render may make, with its owner: all but assembled episode
/// cuts, which ffmpeg makes from the others.
fn owned_assets(drama: &Drama) -> Vec<(AssetOwner, &Asset)> {
    let mut out = all_assets(drama);
    out.retain(|(_, a)| RenderRecord::of(a).is_none_or(|r| r.provider != crate::model::ASSEMBLED_BY));
    out
}

fn all_assets(drama: &Drama) -> Vec<(AssetOwner, &Asset)> {
    let mut out: Vec<(AssetOwner, &Asset)> = Vec::new();
    for c in &drama.characters {
        out.extend(c.assets.iter().map(|a| (AssetOwner::Character(c.id.clone()), a)));
    }
    out.extend(drama.assets.iter().map(|a| (AssetOwner::Drama, a)));
    for e in &drama.episodes {
        out.extend(e.assets.iter().map(|a| (AssetOwner::Episode(e.id.clone()), a)));
        for s in &e.scenes {
            out.extend(s.assets.iter().map(|a| (AssetOwner::scene(&e.id, &s.id), a)));
        }
    }
    out
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        path: path.into(),
        message: message.into(),
    }
}

/// The frame of `asset`: `metadata.aspect_ratio` when it names one, else the default.
fn aspect_of(asset: &Asset, config: &RenderConfig) -> AspectRatio {
    asset
        .metadata
        .as_ref()
        .and_then(|m| m.get("aspect_ratio"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or(config.aspect_ratio())
}

/// Seconds asked for: the asset's `duration`, or for videos the default.
fn duration_of(asset: &Asset, config: &RenderConfig) -> Option<u32> {
    let own = asset.duration.and_then(|d| u32::try_from(d).ok()).filter(|d| *d > 0);
    match asset.kind {
        AssetKind::Image => None,
        AssetKind::Video => Some(own.unwrap_or(config.video_duration())),
        AssetKind::Audio => own,
    }
}

/// An old document's portrait: the character's `url`, for its portrait
/// asset when that has no file of its own (so it is not rendered, and paid,
/// again, and scenes take it as their reference).
fn legacy_portrait(drama: &Drama, owner: &AssetOwner, asset: &Asset) -> Option<String> {
    match owner {
        AssetOwner::Character(c) if asset.id == portrait_id(c) => drama.character(c)?.url.clone(),
        _ => None,
    }
}

/// A video's frames: its first input when that is not a character's (the
/// clip's own keyframe), and `metadata.last_frame` (one of its inputs) put
/// right after it; a last frame that is not an input is a problem.
fn frames_of(
    asset: &Asset,
    mut edges: Vec<String>,
    is_character_asset: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) -> (Vec<String>, Frames) {
    let asked = asset
        .metadata
        .as_ref()
        .and_then(|m| m.get("last_frame"))
        .filter(|v| !v.is_null());
    let (AssetKind::Video, Some(asked)) = (asset.kind, asked) else {
        let first = asset.kind == AssetKind::Video && edges.first().is_some_and(|e| !is_character_asset(e));
        return (edges, Frames { first, last: false });
    };
    let Some(at) = asked.as_str().and_then(|id| edges.iter().position(|e| e == id)) else {
        problems.push(problem(
            format!("{}.metadata.last_frame", asset.id),
            format!("{asked} is not one of this video's image inputs (its depends_on)"),
        ));
        return (edges, Frames::default());
    };
    let last = edges.remove(at);
    let first = edges.first().is_some_and(|e| !is_character_asset(e));
    edges.insert(usize::from(first), last);
    (edges, Frames { first, last: true })
}

/// Builds the graph of `drama`; dangling references and cycles are
/// [`Error::Invalid`], naming the ids.
pub(crate) fn build(drama: &Drama, config: &RenderConfig) -> Result<Graph> {
    let assets = owned_assets(drama);
    let asset_ids: HashSet<&str> = assets.iter().map(|(_, a)| a.id.as_str()).collect();
    let kinds: HashMap<&str, AssetKind> = assets.iter().map(|(_, a)| (a.id.as_str(), a.kind)).collect();
    let character_assets: HashSet<&str> = assets
        .iter()
        .filter(|(o, _)| matches!(o, AssetOwner::Character(_)))
        .map(|(_, a)| a.id.as_str())
        .collect();
    let mut problems = Vec::new();
    // Named after cycles, which say more.
    let mut wrong_kinds = Vec::new();
    let mut nodes: Vec<Node> = Vec::with_capacity(assets.len());
    for (order, (owner, a)) in assets.iter().enumerate() {
        let mut edges = Vec::new();
        let mut library = Vec::new();
        let mut speaker = None;
        for dep in &a.depends_on {
            if let Some(id) = crate::model::library_ref(dep) {
                library.push(id.to_string());
            } else if let Some(c) = drama.character(dep) {
                if a.kind == AssetKind::Audio {
                    speaker.get_or_insert(c);
                    continue;
                }
                let p = portrait_id(&c.id);
                if asset_ids.contains(p.as_str()) {
                    edges.push(p);
                } else {
                    problems.push(problem(
                        format!("{}.depends_on", a.id),
                        format!("character '{dep}' has no portrait asset '{p}'"),
                    ));
                }
            } else if let Some(&dep_kind) = kinds.get(dep.as_str()) {
                // Images and videos take image inputs: a WAV never reaches an image API.
                if a.kind != AssetKind::Audio && dep_kind != AssetKind::Image {
                    wrong_kinds.push(problem(
                        format!("{}.depends_on", a.id),
                        format!(
                            "'{dep}' is of kind {dep_kind}; {} assets take only image inputs",
                            a.kind
                        ),
                    ));
                }
                edges.push(dep.clone());
            } else {
                problems.push(problem(
                    format!("{}.depends_on", a.id),
                    format!("'{dep}' is not a character or asset of this drama"),
                ));
            }
        }
        let edges = super::references::choose(drama, owner, a, edges, &|id| asset_ids.contains(id));
        let (edges, frames) = frames_of(a, edges, &|id| character_assets.contains(id), &mut problems);
        // A clip asked to end elsewhere is another clip.
        let hashed = match frames.last {
            true => format!(
                "{}\0last_frame={}",
                a.prompt,
                edges.get(usize::from(frames.first)).map_or("", String::as_str)
            ),
            false => a.prompt.clone(),
        };
        let voice = (a.kind == AssetKind::Audio).then(|| speaker.map(voice::voice_for).unwrap_or_else(voice::narrator));
        let (duration, aspect_ratio) = (duration_of(a, config), aspect_of(a, config));
        nodes.push(Node {
            id: a.id.clone(),
            owner: owner.clone(),
            kind: a.kind,
            edges,
            frames,
            library,
            voice,
            level: 0,
            prompt_hash: prompt_hash(a.kind, &hashed, duration, aspect_ratio),
            prompt: a.prompt.clone(),
            duration,
            aspect_ratio,
            url: a.url.clone().or_else(|| legacy_portrait(drama, owner, a)),
            record: RenderRecord::of(a),
            order,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(Problems(problems)));
    }
    let graph = order_in_levels(nodes)?;
    if !wrong_kinds.is_empty() {
        return Err(Error::Invalid(Problems(wrong_kinds)));
    }
    Ok(graph)
}

/// Kahn's algorithm: levels, and a named cycle when there is one.
fn order_in_levels(mut nodes: Vec<Node>) -> Result<Graph> {
    let index: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
    let mut pending: Vec<usize> = nodes.iter().map(|n| n.edges.len()).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for e in &n.edges {
            dependants[index[e]].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..nodes.len()).filter(|&i| pending[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        for &d in &dependants[i] {
            nodes[d].level = nodes[d].level.max(nodes[i].level + 1);
            pending[d] -= 1;
            if pending[d] == 0 {
                ready.push(d);
            }
        }
    }
    if done < nodes.len() {
        // Walk from a node left over until an id repeats: that is a cycle.
        let mut path: Vec<usize> = vec![(0..nodes.len()).find(|&i| pending[i] > 0).unwrap_or(0)];
        loop {
            let cur = path[path.len() - 1];
            let next = nodes[cur]
                .edges
                .iter()
                .map(|e| index[e])
                .find(|&j| pending[j] > 0)
                .unwrap_or(cur);
            if let Some(start) = path.iter().position(|&j| j == next) {
                let mut ids: Vec<&str> = path[start..].iter().map(|&j| nodes[j].id.as_str()).collect();
                ids.push(&nodes[next].id);
                ids.reverse();
                return Err(Error::invalid(
                    "depends_on",
                    format!("the references form a cycle: {}", ids.join(" → ")),
                ));
            }
            path.push(next);
        }
    }
    nodes.sort_by_key(|n| (n.level, n.order));
    let index = nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
    Ok(Graph { nodes, index })
}

/// The assets `request` selects; unknown ids are [`Error::Invalid`].
fn select(drama: &Drama, graph: &Graph, request: &RenderRequest) -> Result<HashSet<String>> {
    let mut problems = Vec::new();
    let mut check = |field: &str, ids: &Option<Vec<String>>, exists: &dyn Fn(&str) -> bool, what: &str| {
        for (i, id) in ids.iter().flatten().enumerate() {
            if !exists(id) {
                problems.push(problem(
                    format!("{field}[{i}]"),
                    format!("'{id}' is not {what} of this drama"),
                ));
            }
        }
    };
    check(
        "episodes",
        &request.episodes,
        &|id| drama.episode(id).is_some(),
        "an episode",
    );
    check(
        "characters",
        &request.characters,
        &|id| drama.character(id).is_some(),
        "a character",
    );
    check("assets", &request.assets, &|id| graph.get(id).is_some(), "an asset");
    if !problems.is_empty() {
        return Err(Error::Invalid(Problems(problems)));
    }
    let any_filter = request.episodes.is_some() || request.characters.is_some() || request.assets.is_some();
    let has = |list: &Option<Vec<String>>, id: &str| list.iter().flatten().any(|x| x == id);
    Ok(graph
        .nodes
        .iter()
        .filter(|n| {
            let chosen = !any_filter
                || has(&request.assets, &n.id)
                || match &n.owner {
                    AssetOwner::Character(c) => has(&request.characters, c),
                    AssetOwner::Episode(e) | AssetOwner::Scene { episode: e, .. } => has(&request.episodes, e),
                    _ => false,
                };
            chosen && request.kinds.as_ref().is_none_or(|k| k.contains(&n.kind))
        })
        .map(|n| n.id.clone())
        .collect())
}

/// A graph and its plan.
#[cfg_attr(not(feature = "jobs"), allow(dead_code))]
pub(crate) struct Planned {
    pub graph: Graph,
    pub plan: RenderPlan,
}

/// The inputs of `node` with the files they have now.
pub(crate) fn current_inputs(node: &Node, graph: &Graph) -> Vec<(String, Option<String>)> {
    let mut inputs: Vec<_> = node
        .edges
        .iter()
        .map(|e| (e.clone(), graph.get(e).and_then(|d| d.url.as_deref()).map(file_id)))
        .collect();
    inputs.extend(library_inputs(node));
    inputs
}

/// The library references of `node` as inputs: a library asset's id names
/// one upload, whose file never changes.
pub(crate) fn library_inputs(node: &Node) -> impl Iterator<Item = (String, Option<String>)> + '_ {
    node.library
        .iter()
        .map(|id| (format!("{}{id}", crate::model::LIBRARY_REF_PREFIX), Some(id.clone())))
}

#[cfg(feature = "jobs")]
/// The prompt hash and inputs hash `asset_id` has now (`None` when the
/// graph cannot be built or has no such asset).
pub(crate) fn hashes_now(drama: &Drama, asset_id: &str, config: &RenderConfig) -> Option<(String, String)> {
    let graph = build(drama, config).ok()?;
    let node = graph.get(asset_id)?;
    Some((
        node.prompt_hash.clone(),
        inputs_hash(&current_inputs(node, &graph), node.voice.as_ref()),
    ))
}

/// Plans `request` on `drama` as it is (no assets are added). With
/// `job_id`, what that job already rendered counts as done, even with `force`.
pub(crate) fn plan_graph(
    drama: &Drama,
    request: &RenderRequest,
    config: &RenderConfig,
    job_id: Option<&str>,
) -> Result<Planned> {
    let graph = build(drama, config)?;
    let selected = select(drama, &graph, request)?;
    let candidates = config.best_of().candidates_for(request.candidates)?;
    // What the selection needs that was never rendered comes along.
    let mut wanted: HashMap<String, Option<String>> = selected.iter().map(|id| (id.clone(), None)).collect();
    for n in graph.nodes.iter().rev() {
        if !wanted.contains_key(&n.id) {
            continue;
        }
        for e in &n.edges {
            if graph.get(e).is_some_and(|d| d.url.is_none()) && !wanted.contains_key(e) {
                wanted.insert(e.clone(), Some(n.id.clone()));
            }
        }
    }
    let mut actions: HashMap<&str, PlanAction> = HashMap::new();
    let mut cloned = HashSet::new();
    let mut nodes = Vec::new();
    for n in graph.nodes.iter().filter(|n| wanted.contains_key(&n.id)) {
        let blocked_by = n
            .edges
            .iter()
            .find(|e| actions.get(e.as_str()) == Some(&PlanAction::Blocked));
        let input_renders = n
            .edges
            .iter()
            .find(|e| actions.get(e.as_str()).is_some_and(|a| a.renders()));
        let rec = n.record.as_ref();
        let same_prompt = rec.is_some_and(|r| r.prompt_hash == n.prompt_hash);
        let same_inputs =
            rec.is_some_and(|r| r.inputs_hash == inputs_hash(&current_inputs(n, &graph), n.voice.as_ref()));
        let by_this_job = job_id.is_some() && rec.and_then(|r| r.job_id.as_deref()) == job_id;
        let (action, reason) = if let Some(b) = blocked_by {
            (PlanAction::Blocked, format!("needs {b}, which cannot be rendered"))
        } else if config.renderer(n.kind).is_none() {
            (
                PlanAction::Blocked,
                Error::RendererNotConfigured { kind: n.kind }.to_string(),
            )
        } else if n.url.is_some() && by_this_job && same_prompt && same_inputs && input_renders.is_none() {
            (PlanAction::Skip, "rendered by this job".to_string())
        } else if request.force && selected.contains(&n.id) {
            (PlanAction::Render, "forced".to_string())
        } else if n.url.is_none() {
            match &wanted[&n.id] {
                Some(by) => (PlanAction::Render, format!("never rendered; {by} needs it")),
                None => (PlanAction::Render, "never rendered".to_string()),
            }
        } else if rec.is_none() {
            (PlanAction::Skip, "its url was set by hand".to_string())
        } else if rec.is_some_and(|r| r.provider == "upload") && input_renders.is_none() {
            (PlanAction::Skip, "uploaded".to_string())
        } else if !same_prompt {
            (PlanAction::Stale, "the prompt changed".to_string())
        } else if let Some(i) = input_renders {
            (PlanAction::Stale, format!("its input {i} is rendered again"))
        } else if !same_inputs {
            (PlanAction::Stale, "an input changed".to_string())
        } else {
            (PlanAction::Skip, "up to date".to_string())
        };
        // What the provider will be sent, or why it cannot take it.
        let (action, reason, sent) = match (action.renders(), config.renderer(n.kind)) {
            (true, Some(r)) => {
                match super::capabilities::fit(
                    &r.capabilities(),
                    n.kind,
                    n.duration,
                    n.aspect_ratio,
                    &n.edges,
                    n.frames,
                ) {
                    Ok(sent) => (action, reason, Some(sent)),
                    Err(limit) => (PlanAction::Blocked, format!("{}: {limit}", r.provider()), None),
                }
            }
            _ => (action, reason, None),
        };
        // A speaker's reference clip: cloned once, refused, or not used.
        let mut clone_cost = 0.0;
        let (action, reason, sent) = match (sent, config.renderer(n.kind), &n.voice) {
            (Some(mut s), Some(r), Some(v)) => match voice_clone::plan_note(&**r, config.prices(), v, &mut cloned) {
                Some(Err(limit)) => (PlanAction::Blocked, limit, None),
                Some(Ok((note, cost))) => {
                    s.notes.push(note);
                    clone_cost = cost;
                    (action, reason, Some(s))
                }
                None => (action, reason, Some(s)),
            },
            (sent, _, _) => (action, reason, sent),
        };
        actions.insert(&n.id, action);
        let estimated_cost_usd = match (&sent, config.renderer(n.kind)) {
            (Some(s), Some(r)) => {
                config
                    .prices()
                    .estimate(r.model(), n.kind, s.duration_seconds, &n.prompt)
                    + clone_cost
            }
            _ => 0.0,
        };
        // Best-of-N: images render several candidates, and a judge scores each.
        let best_of = match (&sent, &config.best_of().judge) {
            (Some(_), Some(judge)) if n.kind == AssetKind::Image && candidates > 1 => Some(PlanCandidates {
                count: candidates,
                judge: judge.model().to_string(),
                judge_cost_usd: config.best_of().estimate(config.prices(), candidates),
            }),
            _ => None,
        };
        let estimated_cost_usd = match &best_of {
            Some(b) => super::prices::round_usd(estimated_cost_usd * f64::from(b.count) + b.judge_cost_usd),
            None => estimated_cost_usd,
        };
        nodes.push(PlanNode {
            asset_id: n.id.clone(),
            owner: n.owner.to_path(),
            kind: n.kind,
            depends_on: n
                .edges
                .iter()
                .cloned()
                .chain(library_inputs(n).map(|(r, _)| r))
                .collect(),
            level: n.level,
            action,
            reason: Some(reason),
            estimated_cost_usd,
            sent,
            candidates: best_of,
        });
    }
    let plan = RenderPlan {
        levels: nodes.iter().map(|n| n.level + 1).max().unwrap_or(0),
        estimated_cost_usd: super::prices::round_usd(nodes.iter().map(|n| n.estimated_cost_usd).sum()),
        nodes,
    };
    Ok(Planned { graph, plan })
}

/// What rendering `request` on `drama` would do, and cost: the selected
/// assets and what they need, in levels. Nothing is called or written; a
/// document without portraits or a cover is planned as if it had them.
/// Cycles, dangling references and unknown ids are [`Error::Invalid`].
pub fn plan_render(drama: &Drama, request: &RenderRequest, config: &RenderConfig) -> Result<RenderPlan> {
    let mut copy = drama.clone();
    make_renderable(&mut copy, &config.aspect_ratio().to_string());
    Ok(plan_graph(&copy, request, config, None)?.plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Character, Episode, Scene};

    fn drama() -> Drama {
        let mut d = Drama::new("d", "t", "x", "p");
        let mut c = Character::new("char-a", "A", "x");
        c.assets
            .push(Asset::new("char-a-portrait", AssetKind::Image, "portrait"));
        d.characters.push(c);
        let mut sc = Scene::new("s1", "x");
        let mut img = Asset::new("s1-img", AssetKind::Image, "img");
        img.depends_on = vec!["char-a".into()];
        let mut vid = Asset::new("s1-vid", AssetKind::Video, "vid");
        vid.depends_on = vec!["s1-img".into()];
        let mut aud = Asset::new("s1-aud", AssetKind::Audio, "Hello there.");
        aud.depends_on = vec!["char-a".into()];
        sc.assets = vec![vid, aud, img];
        let mut ep = Episode::new("ep1", "t", "x");
        ep.scenes.push(sc);
        d.episodes.push(ep);
        d
    }

    #[test]
    fn levels_follow_dependencies_and_voices_are_not_edges() {
        let g = build(&drama(), &RenderConfig::default()).unwrap();
        let level = |id: &str| g.get(id).unwrap().level;
        assert_eq!((level("char-a-portrait"), level("s1-img"), level("s1-vid")), (0, 1, 2));
        assert_eq!(level("s1-aud"), 0);
        assert!(g.get("s1-aud").unwrap().voice.is_some());
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["char-a-portrait", "s1-aud", "s1-img", "s1-vid"]);
    }

    #[test]
    fn cycles_and_dangling_references_name_the_ids() {
        let mut d = drama();
        d.characters[0].assets[0].depends_on = vec!["s1-vid".into()];
        let e = build(&d, &RenderConfig::default()).unwrap_err().to_string();
        assert!(
            e.contains("cycle") && e.contains("s1-vid") && e.contains("char-a-portrait"),
            "{e}"
        );
        let mut d = drama();
        d.episodes[0].scenes[0].assets[0].depends_on.push("ghost".into());
        let e = build(&d, &RenderConfig::default()).unwrap_err().to_string();
        assert!(e.contains("s1-vid.depends_on") && e.contains("'ghost'"), "{e}");
        let mut d = drama();
        d.episodes[0].scenes[0].assets[0].depends_on = vec!["s1-aud".into()];
        let e = build(&d, &RenderConfig::default()).unwrap_err().to_string();
        assert!(
            e.contains("s1-vid.depends_on") && e.contains("'s1-aud' is of kind audio"),
            "{e}"
        );
    }

    #[test]
    fn selection_pulls_in_what_was_never_rendered() {
        let cfg = RenderConfig::default();
        let plan = plan_graph(&drama(), &RenderRequest::asset("s1-vid", false), &cfg, None)
            .unwrap()
            .plan;
        let ids: Vec<&str> = plan.nodes.iter().map(|n| n.asset_id.as_str()).collect();
        assert_eq!(ids, ["char-a-portrait", "s1-img", "s1-vid"]);
        // No renderer is configured: every node is blocked, naming the settings.
        assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Blocked));
        assert!(plan.nodes[0].reason.as_deref().unwrap().contains("NANO_BANANA_API_KEY"));
        let bad = RenderRequest {
            episodes: Some(vec!["ep9".into()]),
            ..Default::default()
        };
        let e = plan_graph(&drama(), &bad, &cfg, None).err().unwrap().to_string();
        assert!(e.contains("'ep9' is not an episode"), "{e}");
    }
}
