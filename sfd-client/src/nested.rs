//! The routes of characters, episodes, scenes and assets: one generic
//! method per verb at any [`Level`], and the named shorthands.

use std::collections::HashMap;

use reqwest::Method;
use sfd_core::{
    Asset, AssetOwner, AssetPatch, Character, CharacterPatch, Episode, EpisodePatch, Level, Scene, ScenePatch, Success,
};

use crate::api::{collection_path, member_path};
use crate::client::{Client, Versioned};
use crate::{Error, Result};

impl Client {
    /// The members of level `L` under `parent`, and the drama version
    /// (`GET …/{plural}`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let scenes = client.list_members::<sfd_client::Scene>("my_drama", &"ep1".to_string()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_members<L: Level>(&self, drama_id: &str, parent: &L::Parent) -> Result<Versioned<Vec<L>>> {
        let path = collection_path::<L>(drama_id, parent);
        let mut v: Versioned<HashMap<String, Vec<L>>> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        let value = v.value.remove(L::INFO.plural).ok_or_else(|| Error::Decode {
            source: <serde_json::Error as serde::de::Error>::missing_field(L::INFO.plural),
            body: String::new(),
        })?;
        Ok(Versioned { value, etag: v.etag })
    }

    /// The member `id` of level `L` under `parent`, and the drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let one = client.get_member::<sfd_client::Character>("my_drama", &(), "char-ava").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_member<L: Level>(&self, drama_id: &str, parent: &L::Parent, id: &str) -> Result<Versioned<L>> {
        let path = member_path::<L>(drama_id, parent, id);
        self.call::<_, ()>(Method::GET, &path, None, None).await
    }

    /// Creates a member of level `L` under `parent`; an empty id gets a slug
    /// (201). A taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let scene = sfd_client::Scene::new("", "Night, a garage");
    /// let made = client.create_member("my_drama", &"ep1".to_string(), &scene, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_member<L: Level>(
        &self,
        drama_id: &str,
        parent: &L::Parent,
        member: &L,
        if_match: Option<&str>,
    ) -> Result<Versioned<L>> {
        let mut body = serde_json::to_value(member).map_err(|source| Error::Decode {
            source,
            body: String::new(),
        })?;
        if body["id"] == ""
            && let Some(m) = body.as_object_mut()
        {
            m.remove("id");
        }
        let path = collection_path::<L>(drama_id, parent);
        self.call(Method::POST, &path, Some(&body), if_match).await
    }

    /// Updates the member `id` of level `L`; with `if_match`, only at that drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::EpisodePatch::default();
    /// client.update_member::<sfd_client::Episode>("my_drama", &(), "ep1", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_member<L: Level>(
        &self,
        drama_id: &str,
        parent: &L::Parent,
        id: &str,
        patch: &L::Patch,
        if_match: Option<&str>,
    ) -> Result<Versioned<L>> {
        let path = member_path::<L>(drama_id, parent, id);
        self.call(Method::PATCH, &path, Some(patch), if_match).await
    }

    /// Deletes the member `id` of level `L`, what it holds and every
    /// reference to them; returns the new drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_member::<sfd_client::Asset>("my_drama", &sfd_client::AssetOwner::Drama, "poster", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_member<L: Level>(
        &self,
        drama_id: &str,
        parent: &L::Parent,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>> {
        let path = member_path::<L>(drama_id, parent, id);
        Ok(self
            .call::<Success, ()>(Method::DELETE, &path, None, if_match)
            .await?
            .etag)
    }

    /// The characters and the drama version (`GET …/characters`).
    pub async fn list_characters(&self, drama_id: &str) -> Result<Versioned<Vec<Character>>> {
        self.list_members(drama_id, &()).await
    }

    /// One character and the drama version.
    pub async fn get_character(&self, drama_id: &str, id: &str) -> Result<Versioned<Character>> {
        self.get_member(drama_id, &(), id).await
    }

    /// Creates a character; an empty id gets a slug (201). A taken id is a conflict.
    pub async fn create_character(
        &self,
        drama_id: &str,
        character: &Character,
        if_match: Option<&str>,
    ) -> Result<Versioned<Character>> {
        self.create_member(drama_id, &(), character, if_match).await
    }

    /// Updates a character; with `if_match`, only at that drama version.
    pub async fn update_character(
        &self,
        drama_id: &str,
        id: &str,
        patch: &CharacterPatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Character>> {
        self.update_member(drama_id, &(), id, patch, if_match).await
    }

    /// Deletes a character and every reference to it; returns the new drama version.
    pub async fn delete_character(&self, drama_id: &str, id: &str, if_match: Option<&str>) -> Result<Option<String>> {
        self.delete_member::<Character>(drama_id, &(), id, if_match).await
    }

    /// The episodes and the drama version (`GET …/episodes`).
    pub async fn list_episodes(&self, drama_id: &str) -> Result<Versioned<Vec<Episode>>> {
        self.list_members(drama_id, &()).await
    }

    /// One episode and the drama version.
    pub async fn get_episode(&self, drama_id: &str, id: &str) -> Result<Versioned<Episode>> {
        self.get_member(drama_id, &(), id).await
    }

    /// Creates an episode; an empty id gets a slug (201). A taken id is a conflict.
    pub async fn create_episode(
        &self,
        drama_id: &str,
        episode: &Episode,
        if_match: Option<&str>,
    ) -> Result<Versioned<Episode>> {
        self.create_member(drama_id, &(), episode, if_match).await
    }

    /// Updates an episode; with `if_match`, only at that drama version.
    pub async fn update_episode(
        &self,
        drama_id: &str,
        id: &str,
        patch: &EpisodePatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Episode>> {
        self.update_member(drama_id, &(), id, patch, if_match).await
    }

    /// Deletes an episode, its scenes and every reference to them; returns the new drama version.
    pub async fn delete_episode(&self, drama_id: &str, id: &str, if_match: Option<&str>) -> Result<Option<String>> {
        self.delete_member::<Episode>(drama_id, &(), id, if_match).await
    }

    /// The scenes of an episode and the drama version (`GET …/scenes`).
    pub async fn list_scenes(&self, drama_id: &str, episode_id: &str) -> Result<Versioned<Vec<Scene>>> {
        self.list_members(drama_id, &episode_id.to_string()).await
    }

    /// One scene and the drama version.
    pub async fn get_scene(&self, drama_id: &str, episode_id: &str, id: &str) -> Result<Versioned<Scene>> {
        self.get_member(drama_id, &episode_id.to_string(), id).await
    }

    /// Creates a scene; an empty id gets a slug (201). A taken id is a conflict.
    pub async fn create_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        scene: &Scene,
        if_match: Option<&str>,
    ) -> Result<Versioned<Scene>> {
        self.create_member(drama_id, &episode_id.to_string(), scene, if_match)
            .await
    }

    /// Updates a scene; with `if_match`, only at that drama version.
    pub async fn update_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        patch: &ScenePatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Scene>> {
        self.update_member(drama_id, &episode_id.to_string(), id, patch, if_match)
            .await
    }

    /// Deletes a scene and every reference to it; returns the new drama version.
    pub async fn delete_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>> {
        self.delete_member::<Scene>(drama_id, &episode_id.to_string(), id, if_match)
            .await
    }

    /// The assets of an owner and the drama version (`GET …/assets`).
    pub async fn list_assets(&self, drama_id: &str, owner: &AssetOwner) -> Result<Versioned<Vec<Asset>>> {
        self.list_members(drama_id, owner).await
    }

    /// One asset and the drama version.
    pub async fn get_asset(&self, drama_id: &str, owner: &AssetOwner, id: &str) -> Result<Versioned<Asset>> {
        self.get_member(drama_id, owner, id).await
    }

    /// Creates an asset; an empty id gets a slug (201). A taken id is a conflict.
    pub async fn create_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset: &Asset,
        if_match: Option<&str>,
    ) -> Result<Versioned<Asset>> {
        self.create_member(drama_id, owner, asset, if_match).await
    }

    /// Updates an asset; with `if_match`, only at that drama version.
    pub async fn update_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        patch: &AssetPatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Asset>> {
        self.update_member(drama_id, owner, id, patch, if_match).await
    }

    /// Deletes an asset and every reference to it; returns the new drama version.
    pub async fn delete_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>> {
        self.delete_member::<Asset>(drama_id, owner, id, if_match).await
    }
}
