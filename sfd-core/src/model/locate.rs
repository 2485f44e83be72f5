//! Finding nested entities inside a drama, with `NotFound` errors that name them.

use super::{Asset, Character, Drama, Episode, Scene};
use crate::error::EntityKind;
use crate::{Error, Result};

/// Where an asset lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AssetOwner {
    /// The drama itself.
    Drama,
    /// A character (its id).
    Character(String),
    /// An episode (its id).
    Episode(String),
    /// A scene of an episode.
    Scene {
        /// The episode id.
        episode: String,
        /// The scene id.
        scene: String,
    },
}

impl AssetOwner {
    /// A scene owner.
    pub fn scene(episode: impl Into<String>, scene: impl Into<String>) -> Self {
        AssetOwner::Scene {
            episode: episode.into(),
            scene: scene.into(),
        }
    }

    /// The stem of ids made for this owner's assets (`ep1-sc2` → `ep1-sc2-img`).
    pub(crate) fn id_stem<'a>(&'a self, drama: &'a Drama) -> &'a str {
        match self {
            AssetOwner::Drama => &drama.id,
            AssetOwner::Character(id) | AssetOwner::Episode(id) => id,
            AssetOwner::Scene { scene, .. } => scene,
        }
    }
}

fn missing(kind: EntityKind, id: &str) -> Error {
    Error::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn find_mut<'a, T>(items: &'a mut [T], id: &str, kind: EntityKind, get: fn(&T) -> &str) -> Result<&'a mut T> {
    items.iter_mut().find(|x| get(x) == id).ok_or_else(|| missing(kind, id))
}

impl Drama {
    /// The character `id`, or `NotFound`.
    pub fn character_mut(&mut self, id: &str) -> Result<&mut Character> {
        find_mut(&mut self.characters, id, EntityKind::Character, |c| &c.id)
    }

    /// The episode `id`, or `NotFound`.
    pub fn episode_mut(&mut self, id: &str) -> Result<&mut Episode> {
        find_mut(&mut self.episodes, id, EntityKind::Episode, |e| &e.id)
    }

    /// The scene `scene` of episode `episode`, or `NotFound`.
    pub fn scene_mut(&mut self, episode: &str, scene: &str) -> Result<&mut Scene> {
        find_mut(&mut self.episode_mut(episode)?.scenes, scene, EntityKind::Scene, |s| {
            &s.id
        })
    }

    /// The asset list of `owner`, or `NotFound` for the owner.
    pub fn assets_of_mut(&mut self, owner: &AssetOwner) -> Result<&mut Vec<Asset>> {
        Ok(match owner {
            AssetOwner::Drama => &mut self.assets,
            AssetOwner::Character(id) => &mut self.character_mut(id)?.assets,
            AssetOwner::Episode(id) => &mut self.episode_mut(id)?.assets,
            AssetOwner::Scene { episode, scene } => &mut self.scene_mut(episode, scene)?.assets,
        })
    }

    /// The asset list of `owner`, or `NotFound` for the owner.
    pub fn assets_of(&self, owner: &AssetOwner) -> Result<&Vec<Asset>> {
        Ok(match owner {
            AssetOwner::Drama => &self.assets,
            AssetOwner::Character(id) => {
                &self
                    .character(id)
                    .ok_or_else(|| missing(EntityKind::Character, id))?
                    .assets
            }
            AssetOwner::Episode(id) => &self.episode(id).ok_or_else(|| missing(EntityKind::Episode, id))?.assets,
            AssetOwner::Scene { episode, scene } => {
                let ep = self
                    .episode(episode)
                    .ok_or_else(|| missing(EntityKind::Episode, episode))?;
                &ep.scenes
                    .iter()
                    .find(|s| s.id == *scene)
                    .ok_or_else(|| missing(EntityKind::Scene, scene))?
                    .assets
            }
        })
    }

    /// The asset `id` of `owner`, or `NotFound`.
    pub fn asset_mut(&mut self, owner: &AssetOwner, id: &str) -> Result<&mut Asset> {
        find_mut(self.assets_of_mut(owner)?, id, EntityKind::Asset, |a| &a.id)
    }

    /// Removes `ids` from every `depends_on` list (after those entities were deleted).
    pub fn drop_references(&mut self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        for asset in self.assets_mut() {
            asset.depends_on.retain(|d| !ids.contains(d));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;

    #[test]
    fn lookups_name_what_is_missing() {
        let mut d = Drama::new("d", "t", "x", "p");
        d.episodes.push(Episode::new("ep1", "t", "x"));
        let err = d.scene_mut("ep1", "nope").unwrap_err();
        assert_eq!(err.to_string(), "scene 'nope' not found");
        let err = d.scene_mut("ep9", "nope").unwrap_err();
        assert_eq!(err.to_string(), "episode 'ep9' not found");
        assert!(d.assets_of(&AssetOwner::Character("c".into())).is_err());
        d.assets_of_mut(&AssetOwner::Episode("ep1".into()))
            .unwrap()
            .push(Asset::new("a", AssetKind::Audio, "p"));
        assert_eq!(
            d.asset_mut(&AssetOwner::Episode("ep1".into()), "a").unwrap().prompt,
            "p"
        );
    }
}
