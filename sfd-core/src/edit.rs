//! [`EditExt`]: atomic create, update and delete of every nested entity.
//!
//! Each function is one [`StorageExt::modify_drama`] cycle: read the
//! document and its version, change it, validate it, write it back with
//! compare-and-swap, retrying on conflict. Each takes an optional expected
//! version (`If-Match`) and returns the drama's new version.

use std::collections::HashSet;
use std::future::Future;

use crate::error::EntityKind;
use crate::model::id::{id_problem, slugify, unique_id};
use crate::model::{
    Asset, AssetOwner, AssetPatch, Character, CharacterPatch, Drama, DramaPatch, Episode, EpisodePatch, Patch, Scene,
    ScenePatch,
};
use crate::storage::{StorageExt, Version, Versioned};
use crate::{Error, Result};

/// The ids taken in a drama, gathered once per edit attempt, plus those
/// claimed since: each check is a set lookup, so adding many entities in one
/// request stays linear instead of rescanning the document for every id.
struct Ids(HashSet<String>);

impl Ids {
    fn of(drama: &Drama) -> Self {
        Ids(drama.inner_ids().map(str::to_string).collect())
    }

    /// Makes sure `id` is free, or picks a free one from `stem` when `id` is
    /// empty; either way it is taken afterwards.
    fn claim(&mut self, id: &mut String, kind: EntityKind, stem: &str) -> Result<()> {
        if id.is_empty() {
            *id = unique_id(stem, |c| self.0.contains(c));
        } else if let Some(msg) = id_problem(id) {
            return Err(Error::invalid("id", msg));
        } else if self.0.contains(id.as_str()) {
            return Err(Error::AlreadyExists { kind, id: id.clone() });
        }
        self.0.insert(id.clone());
        Ok(())
    }

    /// Gives every child asset with an empty id a free slug under `stem`,
    /// avoiding the ids its siblings bring.
    fn claim_assets(&mut self, stem: &str, assets: &mut [Asset]) {
        self.0
            .extend(assets.iter().filter(|a| !a.id.is_empty()).map(|a| a.id.clone()));
        for a in assets.iter_mut().filter(|a| a.id.is_empty()) {
            a.id = unique_id(&format!("{stem}-{}", a.kind.slug()), |c| self.0.contains(c));
            self.0.insert(a.id.clone());
        }
    }

    /// Claims a new scene's id (`{episode}-sc{position}` when empty) and its assets'.
    fn claim_scene(&mut self, episode_id: &str, position: usize, scene: &mut Scene) -> Result<()> {
        self.claim(&mut scene.id, EntityKind::Scene, &format!("{episode_id}-sc{position}"))?;
        let stem = scene.id.clone();
        self.claim_assets(&stem, &mut scene.assets);
        Ok(())
    }
}

fn take<T>(list: &mut Vec<T>, id: &str, kind: EntityKind, id_of: fn(&T) -> &str) -> Result<T> {
    let pos = list
        .iter()
        .position(|x| id_of(x) == id)
        .ok_or_else(|| Error::NotFound {
            kind,
            id: id.to_string(),
        })?;
    Ok(list.remove(pos))
}

fn asset_ids(assets: &[Asset]) -> impl Iterator<Item = String> + '_ {
    assets.iter().map(|a| a.id.clone())
}

fn scene_ids(scene: &Scene) -> Vec<String> {
    std::iter::once(scene.id.clone())
        .chain(asset_ids(&scene.assets))
        .collect()
}

/// Takes out what `f` removes from the drama, drops every reference to the
/// removed ids, and returns the drama's new version.
async fn remove_entity<S, F>(storage: &S, drama_id: &str, expected: Option<&Version>, mut f: F) -> Result<Version>
where
    S: StorageExt + ?Sized,
    F: FnMut(&mut Drama) -> Result<Vec<String>> + Send,
{
    let v = storage
        .modify_drama(drama_id, expected, |d| {
            let gone = f(d)?;
            d.drop_references(&gone);
            Ok(())
        })
        .await?;
    Ok(v.version)
}

/// Typed, atomic edits of every level of a drama, for every storage.
pub trait EditExt: StorageExt {
    /// Patches the drama's title, description, premise or metadata.
    fn update_drama(
        &self,
        id: &str,
        patch: DramaPatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Drama>>> + Send {
        self.modify_drama(id, expected, move |d| {
            patch.clone().apply(d);
            Ok(d.clone())
        })
    }

    /// Adds a character; an empty id gets a slug from the name (`char-…`).
    fn create_character(
        &self,
        drama_id: &str,
        character: Character,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Character>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let mut c = character.clone();
            let stem = format!("char-{}", slugify(&c.name, "character"));
            let mut ids = Ids::of(d);
            ids.claim(&mut c.id, EntityKind::Character, &stem)?;
            let stem = c.id.clone();
            ids.claim_assets(&stem, &mut c.assets);
            d.characters.push(c.clone());
            Ok(c)
        })
    }

    /// Patches a character.
    fn update_character(
        &self,
        drama_id: &str,
        id: &str,
        patch: CharacterPatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Character>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let c = d.character_mut(id)?;
            patch.clone().apply(c);
            Ok(c.clone())
        })
    }

    /// Removes a character and every reference to it.
    fn delete_character(
        &self,
        drama_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        remove_entity(self, drama_id, expected, move |d| {
            let c = take(&mut d.characters, id, EntityKind::Character, |c| &c.id)?;
            Ok(std::iter::once(c.id.clone()).chain(asset_ids(&c.assets)).collect())
        })
    }

    /// Appends an episode; an empty id becomes `ep{n}`, and its scenes and
    /// assets with empty ids get slugs under it.
    fn create_episode(
        &self,
        drama_id: &str,
        episode: Episode,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Episode>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let mut e = episode.clone();
            let stem = format!("ep{}", d.episodes.len() + 1);
            let mut ids = Ids::of(d);
            ids.claim(&mut e.id, EntityKind::Episode, &stem)?;
            let stem = e.id.clone();
            ids.claim_assets(&stem, &mut e.assets);
            for (n, s) in e.scenes.iter_mut().enumerate() {
                ids.claim_scene(&stem, n + 1, s)?;
            }
            d.episodes.push(e.clone());
            Ok(e)
        })
    }

    /// Patches an episode.
    fn update_episode(
        &self,
        drama_id: &str,
        id: &str,
        patch: EpisodePatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Episode>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let e = d.episode_mut(id)?;
            patch.clone().apply(e);
            Ok(e.clone())
        })
    }

    /// Removes an episode, its scenes and assets, and every reference to them.
    fn delete_episode(
        &self,
        drama_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        remove_entity(self, drama_id, expected, move |d| {
            let e = take(&mut d.episodes, id, EntityKind::Episode, |e| &e.id)?;
            Ok(std::iter::once(e.id.clone())
                .chain(asset_ids(&e.assets))
                .chain(e.scenes.iter().flat_map(scene_ids))
                .collect())
        })
    }

    /// Appends a scene to an episode; an empty id becomes `{episode}-sc{n}`.
    fn create_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        scene: Scene,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Scene>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let mut s = scene.clone();
            let n = d.episode_mut(episode_id)?.scenes.len() + 1;
            Ids::of(d).claim_scene(episode_id, n, &mut s)?;
            d.episode_mut(episode_id)?.scenes.push(s.clone());
            Ok(s)
        })
    }

    /// Patches a scene.
    fn update_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        patch: ScenePatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Scene>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let s = d.scene_mut(episode_id, id)?;
            patch.clone().apply(s);
            Ok(s.clone())
        })
    }

    /// Removes a scene, its assets, and every reference to them.
    fn delete_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        remove_entity(self, drama_id, expected, move |d| {
            let s = take(&mut d.episode_mut(episode_id)?.scenes, id, EntityKind::Scene, |s| &s.id)?;
            Ok(scene_ids(&s))
        })
    }

    /// Adds an asset to a scene, character, episode or the drama; an empty
    /// id becomes `{owner}-img` / `-vid` / `-aud`.
    fn create_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset: Asset,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Asset>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let mut a = asset.clone();
            d.assets_of(owner)?; // the owner must exist before an id is claimed
            let stem = format!("{}-{}", owner.id_stem(d), a.kind.slug());
            Ids::of(d).claim(&mut a.id, EntityKind::Asset, &stem)?;
            d.assets_of_mut(owner)?.push(a.clone());
            Ok(a)
        })
    }

    /// Patches an asset.
    fn update_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        patch: AssetPatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Asset>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let a = d.asset_mut(owner, id)?;
            patch.clone().apply(a);
            Ok(a.clone())
        })
    }

    /// Removes an asset and every reference to it.
    fn delete_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        remove_entity(self, drama_id, expected, move |d| {
            let a = take(d.assets_of_mut(owner)?, id, EntityKind::Asset, |a| &a.id)?;
            Ok(vec![a.id])
        })
    }
}

impl<S: StorageExt + ?Sized> EditExt for S {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;

    #[test]
    fn one_id_set_names_many_new_entities_without_collisions() {
        let mut d = Drama::new("d", "t", "x", "p");
        let mut old = Episode::new("ep1", "old", "x");
        let mut taken = Scene::new("ep2-sc1", "x");
        taken.assets.push(Asset::new("ep2-sc1-img", AssetKind::Image, "p"));
        old.scenes.push(taken);
        d.episodes.push(old);
        let mut ids = Ids::of(&d);
        let mut scenes: Vec<Scene> = (0..200)
            .map(|_| {
                let mut s = Scene::new("", "x");
                s.assets = vec![
                    Asset::new("", AssetKind::Image, "p"),
                    Asset::new("", AssetKind::Image, "p"),
                    Asset::new("", AssetKind::Audio, "p"),
                ];
                s
            })
            .collect();
        for (n, s) in scenes.iter_mut().enumerate() {
            ids.claim_scene("ep2", n + 1, s).unwrap();
        }
        // The first stem was taken by an existing scene, so it got a suffix.
        assert_eq!(scenes[0].id, "ep2-sc1-2");
        assert_eq!(scenes[1].id, "ep2-sc2");
        assert_eq!(scenes[1].assets[0].id, "ep2-sc2-img");
        assert_eq!(scenes[1].assets[1].id, "ep2-sc2-img-2");
        let all: HashSet<&str> = scenes
            .iter()
            .flat_map(|s| std::iter::once(s.id.as_str()).chain(s.assets.iter().map(|a| a.id.as_str())))
            .collect();
        assert_eq!(all.len(), 200 * 4);
        let mut dup = String::from("ep2-sc2");
        let err = ids.claim(&mut dup, EntityKind::Scene, "x").unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    }
}
