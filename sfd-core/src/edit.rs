//! [`EditExt`]: atomic create, update and delete of every nested entity.
//!
//! Each function is one [`StorageExt::modify_drama`] cycle: read the
//! document and its version, change it, validate it, write it back with
//! compare-and-swap, retrying on conflict. Each takes an optional expected
//! version (`If-Match`) and returns the drama's new version.

use std::collections::HashSet;
use std::future::Future;

use crate::error::EntityKind;
use crate::model::id::{id_problem, unique_id};
use crate::model::{
    Asset, AssetOwner, AssetPatch, Character, CharacterPatch, Drama, DramaPatch, Episode, EpisodePatch, Level, Patch,
    Scene, ScenePatch,
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

    /// Claims a new member's id (its level's stem at `position` when empty),
    /// then names what is nested in it: its assets, and an episode's scenes
    /// (`{episode}-sc{n}`) with theirs.
    fn claim_member<L: Level>(&mut self, d: &Drama, parent: &L::Parent, position: usize, m: &mut L) -> Result<()> {
        let stem = m.id_stem(d, parent, position);
        self.claim(m.id_mut(), L::INFO.kind, &stem)?;
        let own = m.id().to_string();
        let nested = m.nested_mut();
        self.claim_assets(&own, nested.assets);
        for (n, s) in nested.scenes.iter_mut().enumerate() {
            self.claim_member::<Scene>(d, &own, n + 1, s)?;
        }
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

/// Typed, atomic edits of every level of a drama, for every storage.
///
/// The generic verbs ([`EditExt::create_member`],
/// [`EditExt::update_member`], [`EditExt::delete_member`],
/// [`EditExt::get_member`], [`EditExt::list_members`]) work at any
/// [`Level`]; the named ones (`update_scene`, …) are shorthands for them.
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

    /// The members of level `L` under `parent`, and the drama version.
    fn list_members<L: Level>(
        &self,
        drama_id: &str,
        parent: L::Parent,
    ) -> impl Future<Output = Result<Versioned<Vec<L>>>> + Send {
        async move {
            let Versioned { value: d, version } = self.get_drama(drama_id).await?;
            let value = L::siblings(&d, &parent)?.to_vec();
            Ok(Versioned { value, version })
        }
    }

    /// The member `id` of level `L` under `parent`, and the drama version.
    fn get_member<L: Level>(
        &self,
        drama_id: &str,
        parent: L::Parent,
        id: &str,
    ) -> impl Future<Output = Result<Versioned<L>>> + Send {
        async move {
            let Versioned { value: d, version } = self.get_drama(drama_id).await?;
            let value = L::find(&d, &parent, id)?.clone();
            Ok(Versioned { value, version })
        }
    }

    /// Appends a member under `parent` (which must exist). An empty id gets
    /// its level's stem (`char-{name}`, `ep{n}`, `{episode}-sc{n}`,
    /// `{owner}-img` / `-vid` / `-aud`); what is nested in it with empty
    /// ids gets slugs under its id. A taken id is `AlreadyExists`.
    fn create_member<L: Level>(
        &self,
        drama_id: &str,
        parent: L::Parent,
        member: L,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<L>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let mut m = member.clone();
            // The parent must exist before an id is claimed.
            let position = L::siblings(d, &parent)?.len() + 1;
            Ids::of(d).claim_member(d, &parent, position, &mut m)?;
            L::siblings_mut(d, &parent)?.push(m.clone());
            Ok(m)
        })
    }

    /// Patches the member `id` of level `L` under `parent`.
    fn update_member<L: Level>(
        &self,
        drama_id: &str,
        parent: L::Parent,
        id: &str,
        patch: L::Patch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<L>>> + Send {
        self.modify_drama(drama_id, expected, move |d| {
            let m = L::find_mut(d, &parent, id)?;
            patch.clone().apply(m);
            Ok(m.clone())
        })
    }

    /// Removes the member `id` of level `L` under `parent`, everything
    /// nested in it, and every reference to them; returns the new version.
    fn delete_member<L: Level>(
        &self,
        drama_id: &str,
        parent: L::Parent,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        async move {
            let v = self
                .modify_drama(drama_id, expected, |d| {
                    let gone = take(L::siblings_mut(d, &parent)?, id, L::INFO.kind, L::id)?.owned_ids();
                    d.drop_references(&gone);
                    Ok(())
                })
                .await?;
            Ok(v.version)
        }
    }

    /// Adds a character; an empty id gets a slug from the name (`char-…`).
    fn create_character(
        &self,
        drama_id: &str,
        character: Character,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Character>>> + Send {
        self.create_member(drama_id, (), character, expected)
    }

    /// Patches a character.
    fn update_character(
        &self,
        drama_id: &str,
        id: &str,
        patch: CharacterPatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Character>>> + Send {
        self.update_member(drama_id, (), id, patch, expected)
    }

    /// Removes a character and every reference to it.
    fn delete_character(
        &self,
        drama_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        self.delete_member::<Character>(drama_id, (), id, expected)
    }

    /// Appends an episode; an empty id becomes `ep{n}`, and its scenes and
    /// assets with empty ids get slugs under it.
    fn create_episode(
        &self,
        drama_id: &str,
        episode: Episode,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Episode>>> + Send {
        self.create_member(drama_id, (), episode, expected)
    }

    /// Patches an episode.
    fn update_episode(
        &self,
        drama_id: &str,
        id: &str,
        patch: EpisodePatch,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Episode>>> + Send {
        self.update_member(drama_id, (), id, patch, expected)
    }

    /// Removes an episode, its scenes and assets, and every reference to them.
    fn delete_episode(
        &self,
        drama_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        self.delete_member::<Episode>(drama_id, (), id, expected)
    }

    /// Appends a scene to an episode; an empty id becomes `{episode}-sc{n}`.
    fn create_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        scene: Scene,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Versioned<Scene>>> + Send {
        self.create_member(drama_id, episode_id.to_string(), scene, expected)
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
        self.update_member(drama_id, episode_id.to_string(), id, patch, expected)
    }

    /// Removes a scene, its assets, and every reference to them.
    fn delete_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        self.delete_member::<Scene>(drama_id, episode_id.to_string(), id, expected)
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
        self.create_member(drama_id, owner.clone(), asset, expected)
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
        self.update_member(drama_id, owner.clone(), id, patch, expected)
    }

    /// Removes an asset and every reference to it.
    fn delete_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Version>> + Send {
        self.delete_member::<Asset>(drama_id, owner.clone(), id, expected)
    }
}

impl<S: StorageExt + ?Sized> EditExt for S {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;
    use crate::storage::StorageBuilder;
    use serde_json::json;

    /// Every generic verb at level `L`: a create that names `member` and
    /// what it holds, get, list, a taken id, a patch, and a delete that
    /// drops the references to what it owned.
    async fn verbs_at<L: Level>(parent: L::Parent, mut member: L, id: &str) {
        let s = StorageBuilder::memory().build().unwrap();
        let mut d = Drama::new("d", "t", "x", "p");
        let mut ep = Episode::new("ep1", "t", "x");
        ep.scenes.push(Scene::new("ep1-sc1", "x"));
        d.episodes.push(ep);
        s.create_drama(&d).await.unwrap();
        let made = s
            .create_member("d", parent.clone(), member.clone(), None)
            .await
            .unwrap();
        assert_eq!(made.value.id(), id);
        let got = s.get_member::<L>("d", parent.clone(), id).await.unwrap();
        assert_eq!(got.version, made.version);
        assert_eq!(
            serde_json::to_value(&got.value).unwrap(),
            serde_json::to_value(&made.value).unwrap()
        );
        let all = s.list_members::<L>("d", parent.clone()).await.unwrap();
        assert_eq!(all.value.last().map(L::id), Some(id));
        *member.id_mut() = id.to_string();
        let err = s.create_member("d", parent.clone(), member, None).await.unwrap_err();
        assert!(
            matches!(err, Error::AlreadyExists { kind, .. } if kind == L::INFO.kind),
            "{err}"
        );

        let patch = L::Patch::from_value(json!({"metadata": {"k": 1}})).unwrap();
        let changed = s
            .update_member::<L>("d", parent.clone(), id, patch, None)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&changed.value).unwrap()["metadata"],
            json!({"k": 1})
        );

        let owned = made.value.owned_ids();
        let mut poster = Asset::new("poster", AssetKind::Image, "p");
        poster.depends_on = vec![owned.last().unwrap().clone()];
        s.create_asset("d", &AssetOwner::Drama, poster, None).await.unwrap();
        s.delete_member::<L>("d", parent.clone(), id, None).await.unwrap();
        let err = s.get_member::<L>("d", parent, id).await.unwrap_err();
        assert_eq!(err.to_string(), format!("{} '{id}' not found", L::INFO.kind));
        let d = s.get_drama("d").await.unwrap().value;
        assert!(d.assets[0].depends_on.is_empty(), "{:?}", d.assets[0]);
        assert!(d.inner_ids().all(|i| !owned.iter().any(|o| o == i)));
    }

    #[tokio::test]
    async fn generic_verbs_at_every_level() {
        let mut c = Character::new("", "Ava Stone", "x");
        c.assets.push(Asset::new("", AssetKind::Image, "p"));
        verbs_at((), c, "char-ava-stone").await;
        let mut e = Episode::new("", "t", "x");
        let mut sc = Scene::new("", "x");
        sc.assets.push(Asset::new("", AssetKind::Audio, "p"));
        e.scenes.push(sc.clone());
        verbs_at((), e, "ep2").await;
        verbs_at("ep1".to_string(), sc, "ep1-sc2").await;
        let a = Asset::new("", AssetKind::Video, "p");
        verbs_at(AssetOwner::scene("ep1", "ep1-sc1"), a, "ep1-sc1-vid").await;
    }

    #[tokio::test]
    async fn a_missing_parent_is_named_before_an_id_is_claimed() {
        let s = StorageBuilder::memory().build().unwrap();
        s.create_drama(&Drama::new("d", "t", "x", "p")).await.unwrap();
        let err = s
            .create_member("d", "ep9".to_string(), Scene::new("", "x"), None)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "episode 'ep9' not found");
        let owner = AssetOwner::Character("nobody".into());
        let err = s.list_members::<Asset>("d", owner).await.unwrap_err();
        assert_eq!(err.to_string(), "character 'nobody' not found");
    }

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
            ids.claim_member(&d, &"ep2".to_string(), n + 1, s).unwrap();
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
