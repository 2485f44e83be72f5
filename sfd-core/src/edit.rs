//! [`EditExt`]: atomic create, update and delete of every nested entity.
//!
//! Each function is one [`StorageExt::modify_drama`] cycle: read the
//! document and its version, change it, validate it, write it back with
//! compare-and-swap, retrying on conflict. Each takes an optional expected
//! version (`If-Match`) and returns the drama's new version.

use std::future::Future;

use crate::error::EntityKind;
use crate::model::id::{id_problem, slugify, unique_id};
use crate::model::{
    Asset, AssetOwner, AssetPatch, Character, CharacterPatch, Drama, DramaPatch, Episode, EpisodePatch, Patch, Scene,
    ScenePatch,
};
use crate::storage::{StorageExt, Version, Versioned};
use crate::{Error, Result};

/// Makes sure `id` is free in `drama`, or picks a free one from `stem` when `id` is empty.
fn claim_id(drama: &Drama, id: &mut String, kind: EntityKind, stem: &str) -> Result<()> {
    let taken = |c: &str| drama.inner_ids().any(|x| x == c);
    if id.is_empty() {
        *id = unique_id(stem, taken);
        return Ok(());
    }
    if let Some(msg) = id_problem(id) {
        return Err(Error::invalid("id", msg));
    }
    if taken(id) {
        return Err(Error::AlreadyExists { kind, id: id.clone() });
    }
    Ok(())
}

/// Gives every child asset with an empty id a free slug under `stem`.
/// Ids are claimed one by one, so siblings never collide.
fn claim_asset_ids(drama: &Drama, stem: &str, assets: &mut [Asset], reserved: &mut Vec<String>) {
    for a in assets.iter_mut().filter(|a| a.id.is_empty()) {
        let base = format!("{stem}-{}", a.kind.slug());
        a.id = unique_id(&base, |c| {
            reserved.iter().any(|r| r == c) || drama.inner_ids().any(|x| x == c)
        });
        reserved.push(a.id.clone());
    }
}

fn reserved_ids_of(assets: &[Asset]) -> Vec<String> {
    assets
        .iter()
        .filter(|a| !a.id.is_empty())
        .map(|a| a.id.clone())
        .collect()
}

fn claim_scene(drama: &Drama, episode_id: &str, position: usize, scene: &mut Scene) -> Result<()> {
    claim_id(
        drama,
        &mut scene.id,
        EntityKind::Scene,
        &format!("{episode_id}-sc{position}"),
    )?;
    let mut reserved = reserved_ids_of(&scene.assets);
    reserved.push(scene.id.clone());
    let stem = scene.id.clone();
    claim_asset_ids(drama, &stem, &mut scene.assets, &mut reserved);
    Ok(())
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
            claim_id(d, &mut c.id, EntityKind::Character, &stem)?;
            let mut reserved = reserved_ids_of(&c.assets);
            reserved.push(c.id.clone());
            let stem = c.id.clone();
            claim_asset_ids(d, &stem, &mut c.assets, &mut reserved);
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
            claim_id(d, &mut e.id, EntityKind::Episode, &stem)?;
            let mut reserved = reserved_ids_of(&e.assets);
            reserved.push(e.id.clone());
            let stem = e.id.clone();
            claim_asset_ids(d, &stem, &mut e.assets, &mut reserved);
            // Place the episode first so scene ids see it as taken.
            d.episodes.push(e);
            let idx = d.episodes.len() - 1;
            let mut scenes = std::mem::take(&mut d.episodes[idx].scenes);
            for (n, s) in scenes.iter_mut().enumerate() {
                claim_scene(d, &stem, n + 1, s)?;
                d.episodes[idx].scenes.push(s.clone());
            }
            Ok(d.episodes[idx].clone())
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
            claim_scene(d, episode_id, n, &mut s)?;
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
            claim_id(d, &mut a.id, EntityKind::Asset, &stem)?;
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
