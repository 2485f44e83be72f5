//! Which references an image or video call gets, most important first, so
//! that a provider's cap on reference images (see `capabilities.rs`) drops
//! the least important: the characters in the shot (the variant the shot
//! asks for in place of the portrait), speakers first in the order they
//! speak, then main characters, then the others; then the scene's previous
//! keyframe (continuity from shot to shot) and other asset inputs; then the
//! rest of each character's sheet (its views, a portrait a variant stood in for).

use std::collections::HashSet;

use crate::model::{Asset, AssetKind, AssetOwner, Drama, Scene, portrait_id, variant_asked};

/// The character whose portrait `edge` is.
fn character_of<'a>(drama: &'a Drama, edge: &str) -> Option<&'a str> {
    let cid = edge.strip_suffix("-portrait")?;
    drama.character(cid).map(|c| c.id.as_str())
}

/// The keyframe of the shot before the one `asset` is the keyframe of, if any.
fn previous_keyframe(scene: &Scene, asset: &Asset) -> Option<String> {
    if asset.kind != AssetKind::Image {
        return None;
    }
    let shots = scene.shots();
    let at = shots
        .iter()
        .position(|s| s.keyframe.is_some_and(|k| k.id == asset.id))?;
    let before = shots.get(at.checked_sub(1)?)?.keyframe?;
    // No continuity with an image that itself takes this one.
    (!before.depends_on.contains(&asset.id)).then(|| before.id.clone())
}

/// `edges` (in `depends_on` order, a character as its portrait) reordered
/// and completed for `asset` of `owner`; `exists` tells which assets the
/// drama has.
pub(crate) fn choose(
    drama: &Drama,
    owner: &AssetOwner,
    asset: &Asset,
    edges: Vec<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    if asset.kind == AssetKind::Audio {
        return edges;
    }
    let scene = match owner {
        AssetOwner::Scene { episode, scene } => drama
            .episode(episode)
            .and_then(|e| e.scenes.iter().find(|s| &s.id == scene)),
        _ => None,
    };
    let speakers: Vec<&str> = scene
        .map(|s| s.lines().iter().filter_map(|l| l.speaker).collect())
        .unwrap_or_default();
    let mut people: Vec<(usize, usize, &str)> = Vec::new();
    let mut assets: Vec<String> = Vec::new();
    for (i, e) in edges.iter().enumerate() {
        match character_of(drama, e) {
            Some(cid) => {
                let rank = match speakers.iter().position(|s| *s == cid) {
                    Some(p) => p,
                    None if drama.character(cid).is_some_and(|c| c.main) => speakers.len(),
                    None => speakers.len() + 1,
                };
                people.push((rank, i, cid));
            }
            None => assets.push(e.clone()),
        }
    }
    people.sort();
    if let Some(before) = scene.and_then(|s| previous_keyframe(s, asset))
        && !assets.contains(&before)
    {
        assets.push(before);
    }
    // A video's own keyframe (an input of its scene) goes before the cast.
    let own: Vec<String> = match (asset.kind, scene) {
        (AssetKind::Video, Some(s)) => assets
            .iter()
            .filter(|a| s.assets.iter().any(|x| &x.id == *a))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let mut primary = Vec::new();
    let mut extra = Vec::new();
    for (_, _, cid) in &people {
        let portrait = portrait_id(cid);
        match variant_asked(asset, cid).filter(|v| exists(v)) {
            Some(v) => {
                primary.push(v);
                extra.push(portrait);
            }
            None => primary.push(portrait),
        }
        // A character's own sheet takes only its portrait.
        if let (false, Some(c)) = (matches!(owner, AssetOwner::Character(_)), drama.character(cid)) {
            for entry in crate::model::sheet_of(c) {
                let id = entry.asset_id(cid);
                if matches!(entry, crate::model::SheetEntry::View(_)) && exists(&id) {
                    extra.push(id);
                }
            }
        }
    }
    let mut out: Vec<String> = own.clone();
    out.extend(primary);
    out.extend(assets.into_iter().filter(|a| !own.contains(a)));
    out.extend(extra);
    let mut seen = HashSet::new();
    out.retain(|e| e != &asset.id && seen.insert(e.clone()));
    out
}
