//! Whole-document validation that reports every problem at once.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::limits::SizeLimits;
use super::{Asset, AssetKind, Drama, id::id_problem};

/// One thing wrong with a document or a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    /// Where: a JSON-path-like location such as `episodes[0].scenes[1].id`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// A list with a single problem.
    pub fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problems(vec![Problem {
            path: path.into(),
            message: message.into(),
        }])
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems of `self` that `before` did not already have.
    pub fn new_since(&self, before: &Problems) -> Problems {
        let old: HashSet<&Problem> = before.0.iter().collect();
        Problems(self.0.iter().filter(|p| !old.contains(p)).cloned().collect())
    }

    pub(crate) fn push(&mut self, path: String, message: impl Into<String>) {
        self.0.push(Problem {
            path,
            message: message.into(),
        });
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Where an entity sits in the document; turned into a path only when a
/// problem is reported, so a valid document costs no formatting.
#[derive(Debug, Clone, Copy)]
enum Loc {
    Character(usize),
    CharacterAsset(usize, usize),
    Asset(usize),
    Episode(usize),
    EpisodeAsset(usize, usize),
    Scene(usize, usize),
    SceneAsset(usize, usize, usize),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Loc::Character(i) => write!(f, "characters[{i}]"),
            Loc::CharacterAsset(i, j) => write!(f, "characters[{i}].assets[{j}]"),
            Loc::Asset(j) => write!(f, "assets[{j}]"),
            Loc::Episode(i) => write!(f, "episodes[{i}]"),
            Loc::EpisodeAsset(i, j) => write!(f, "episodes[{i}].assets[{j}]"),
            Loc::Scene(i, k) => write!(f, "episodes[{i}].scenes[{k}]"),
            Loc::SceneAsset(i, k, j) => write!(f, "episodes[{i}].scenes[{k}].assets[{j}]"),
        }
    }
}

/// Checks a drama and returns every problem found (empty when valid):
/// - ids outside `[A-Za-z0-9_-]{1,128}`;
/// - ids used twice inside the drama;
/// - `depends_on` entries that name no character or asset of the drama
///   (nor a library asset, `library:{asset_id}`);
/// - videos whose duration is zero or negative;
/// - lists longer than their cap (see [`SizeLimits`]).
pub fn validate(drama: &Drama) -> Problems {
    let mut problems = Problems::default();
    if let Some(msg) = id_problem(&drama.id) {
        problems.push("id".into(), msg);
    }
    drama.check_sizes("", &mut problems);
    // Pass 1: ids, in document order.
    let mut ids: Vec<(&str, Loc)> = Vec::new();
    for (i, c) in drama.characters.iter().enumerate() {
        ids.push((c.id.as_str(), Loc::Character(i)));
        ids.extend(
            c.assets
                .iter()
                .enumerate()
                .map(|(j, a)| (a.id.as_str(), Loc::CharacterAsset(i, j))),
        );
    }
    ids.extend(
        drama
            .assets
            .iter()
            .enumerate()
            .map(|(j, a)| (a.id.as_str(), Loc::Asset(j))),
    );
    for (i, e) in drama.episodes.iter().enumerate() {
        ids.push((e.id.as_str(), Loc::Episode(i)));
        ids.extend(
            e.assets
                .iter()
                .enumerate()
                .map(|(j, a)| (a.id.as_str(), Loc::EpisodeAsset(i, j))),
        );
        for (k, s) in e.scenes.iter().enumerate() {
            ids.push((s.id.as_str(), Loc::Scene(i, k)));
            ids.extend(
                s.assets
                    .iter()
                    .enumerate()
                    .map(|(j, a)| (a.id.as_str(), Loc::SceneAsset(i, k, j))),
            );
        }
    }
    let mut seen: HashMap<&str, Loc> = HashMap::with_capacity(ids.len());
    for (id, loc) in &ids {
        if let Some(msg) = id_problem(id) {
            problems.push(format!("{loc}.id"), msg);
        }
        match seen.get(id) {
            Some(first) => problems.push(
                format!("{loc}.id"),
                format!("duplicate id '{id}', first used at {first}"),
            ),
            None => {
                seen.insert(id, *loc);
            }
        }
    }
    // Pass 2: references and durations.
    let targets: HashSet<&str> = drama
        .characters
        .iter()
        .map(|c| c.id.as_str())
        .chain(all_assets(drama).map(|(_, a)| a.id.as_str()))
        .collect();
    for (loc, a) in all_assets(drama) {
        for (n, dep) in a.depends_on.iter().enumerate() {
            if !targets.contains(dep.as_str()) && super::library_ref(dep).is_none() {
                problems.push(
                    format!("{loc}.depends_on[{n}]"),
                    format!("'{dep}' is not a character or asset of this drama"),
                );
            }
        }
        if a.kind == AssetKind::Video
            && let Some(d) = a.duration
            && d <= 0
        {
            problems.push(
                format!("{loc}.duration"),
                format!("video duration must be positive, got {d}"),
            );
        }
    }
    problems
}

/// Every asset with its location, in document order.
fn all_assets(drama: &Drama) -> impl Iterator<Item = (Loc, &Asset)> {
    let characters = drama.characters.iter().enumerate().flat_map(|(i, c)| {
        c.assets
            .iter()
            .enumerate()
            .map(move |(j, a)| (Loc::CharacterAsset(i, j), a))
    });
    let top = drama.assets.iter().enumerate().map(|(j, a)| (Loc::Asset(j), a));
    let episodes = drama.episodes.iter().enumerate().flat_map(|(i, e)| {
        let own = e
            .assets
            .iter()
            .enumerate()
            .map(move |(j, a)| (Loc::EpisodeAsset(i, j), a));
        let scenes = e.scenes.iter().enumerate().flat_map(move |(k, s)| {
            s.assets
                .iter()
                .enumerate()
                .map(move |(j, a)| (Loc::SceneAsset(i, k, j), a))
        });
        own.chain(scenes)
    });
    characters.chain(top).chain(episodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Character, Episode, Scene};

    fn sample() -> Drama {
        let mut d = Drama::new("d1", "t", "x", "p");
        d.characters.push(Character::new("char-a", "A", "x"));
        let mut ep = Episode::new("ep1", "t", "x");
        let mut sc = Scene::new("ep1-sc1", "x");
        let mut img = Asset::new("ep1-sc1-img", AssetKind::Image, "p");
        img.depends_on = vec!["char-a".into()];
        let mut vid = Asset::new("ep1-sc1-vid", AssetKind::Video, "p");
        vid.depends_on = vec!["ep1-sc1-img".into()];
        vid.duration = Some(10);
        sc.assets = vec![img, vid];
        ep.scenes.push(sc);
        d.episodes.push(ep);
        d
    }

    #[test]
    fn a_good_document_has_no_problems() {
        assert!(validate(&sample()).is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut d = sample();
        d.id = "../x".into();
        d.characters.push(Character::new("ep1", "dup", "x"));
        let sc = &mut d.episodes[0].scenes[0];
        sc.assets[0].depends_on.push("char-ghost".into());
        sc.assets[1].duration = Some(0);
        sc.assets[1].id = "bad id".into();
        let problems = validate(&d);
        let text = problems.to_string();
        assert_eq!(problems.0.len(), 5, "{text}");
        assert!(text.contains("id: id contains '.'"), "{text}");
        assert!(text.contains("duplicate id 'ep1'"), "{text}");
        assert!(text.contains("'char-ghost' is not a character"), "{text}");
        assert!(text.contains("duration must be positive"), "{text}");
        assert!(
            text.contains("episodes[0].scenes[0].assets[1].id: id contains ' '"),
            "{text}"
        );
        assert!(
            text.contains("episodes[0].id: duplicate id 'ep1', first used at characters[1]"),
            "{text}"
        );
    }

    #[test]
    fn new_since_ignores_old_problems() {
        let mut d = sample();
        d.episodes[0].scenes[0].assets[1].duration = Some(-1);
        let before = validate(&d);
        d.episodes[0].scenes[0].assets[0].depends_on.push("nobody".into());
        let after = validate(&d);
        let new = after.new_since(&before);
        assert_eq!(new.0.len(), 1);
        assert!(new.0[0].message.contains("nobody"));
    }
}
