//! How large a drama may grow. Every list has a cap, checked by
//! [`super::validate`] for whole documents and by [`SizeLimits`] for an
//! entity at the door of a create, so no request can make an edit (which
//! runs while the drama is locked) slow.

use super::{Asset, Character, Drama, Episode, Problems, Scene};

/// The most characters in a drama.
pub const MAX_CHARACTERS: usize = 100;
/// The most episodes in a drama.
pub const MAX_DRAMA_EPISODES: usize = 500;
/// The most scenes in an episode.
pub const MAX_EPISODE_SCENES: usize = 200;
/// The most assets of one owner (the drama, a character, an episode or a scene).
pub const MAX_ASSETS: usize = 50;
/// The most `depends_on` entries of an asset.
pub const MAX_DEPENDS_ON: usize = 32;
/// The most ids (characters, episodes, scenes and assets together) in a drama.
pub const MAX_IDS: usize = 20_000;

/// The size caps of an entity and everything inside it.
pub trait SizeLimits {
    /// Every list of `self` (and of what it holds) that is over its cap;
    /// paths are relative to `self`.
    fn size_problems(&self) -> Problems {
        let mut p = Problems::default();
        self.check_sizes("", &mut p);
        p
    }

    /// Adds the problems of `self`, found at `at` (empty, or a path ending in `.`).
    fn check_sizes(&self, at: &str, problems: &mut Problems);
}

fn cap(problems: &mut Problems, at: &str, list: &str, len: usize, max: usize) {
    if len > max {
        problems.push(format!("{at}{list}"), format!("at most {max} {list}, got {len}"));
    }
}

fn assets(problems: &mut Problems, at: &str, list: &[Asset]) {
    cap(problems, at, "assets", list.len(), MAX_ASSETS);
    for (j, a) in list.iter().enumerate().take(MAX_ASSETS + 1) {
        a.check_sizes(&format!("{at}assets[{j}]."), problems);
    }
}

impl SizeLimits for Asset {
    fn check_sizes(&self, at: &str, problems: &mut Problems) {
        cap(problems, at, "depends_on", self.depends_on.len(), MAX_DEPENDS_ON);
    }
}

impl SizeLimits for Scene {
    fn check_sizes(&self, at: &str, problems: &mut Problems) {
        assets(problems, at, &self.assets);
    }
}

impl SizeLimits for Character {
    fn check_sizes(&self, at: &str, problems: &mut Problems) {
        assets(problems, at, &self.assets);
    }
}

impl SizeLimits for Episode {
    fn check_sizes(&self, at: &str, problems: &mut Problems) {
        assets(problems, at, &self.assets);
        cap(problems, at, "scenes", self.scenes.len(), MAX_EPISODE_SCENES);
        for (k, s) in self.scenes.iter().enumerate().take(MAX_EPISODE_SCENES + 1) {
            s.check_sizes(&format!("{at}scenes[{k}]."), problems);
        }
    }
}

impl SizeLimits for Drama {
    fn check_sizes(&self, at: &str, problems: &mut Problems) {
        cap(problems, at, "characters", self.characters.len(), MAX_CHARACTERS);
        for (i, c) in self.characters.iter().enumerate().take(MAX_CHARACTERS + 1) {
            c.check_sizes(&format!("{at}characters[{i}]."), problems);
        }
        assets(problems, at, &self.assets);
        cap(problems, at, "episodes", self.episodes.len(), MAX_DRAMA_EPISODES);
        for (i, e) in self.episodes.iter().enumerate().take(MAX_DRAMA_EPISODES + 1) {
            e.check_sizes(&format!("{at}episodes[{i}]."), problems);
        }
        let ids = self.inner_ids().take(MAX_IDS + 1).count();
        if ids > MAX_IDS {
            problems.push(
                at.trim_end_matches('.').to_string(),
                format!("at most {MAX_IDS} ids in a drama"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;

    #[test]
    fn every_list_is_capped() {
        let mut scene = Scene::new("s", "d");
        scene.assets = (0..=MAX_ASSETS)
            .map(|i| Asset::new(format!("a{i}"), AssetKind::Image, "p"))
            .collect();
        scene.assets[0].depends_on = vec!["x".into(); MAX_DEPENDS_ON + 1];
        let mut ep = Episode::new("e", "t", "d");
        ep.scenes = vec![scene; MAX_EPISODE_SCENES + 1];
        let text = ep.size_problems().to_string();
        assert!(text.contains("scenes: at most 200 scenes, got 201"), "{text}");
        assert!(text.contains("scenes[0].assets: at most 50 assets"), "{text}");
        assert!(text.contains("scenes[0].assets[0].depends_on: at most 32"), "{text}");
        let mut d = Drama::new("d", "t", "x", "p");
        d.characters = vec![Character::new("c", "n", "d"); MAX_CHARACTERS + 1];
        assert!(d.size_problems().to_string().contains("at most 100 characters"));
        assert!(Drama::new("d", "t", "x", "p").size_problems().is_empty());
    }
}
