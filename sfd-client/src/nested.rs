//! The routes of characters, episodes, scenes and assets.

use reqwest::Method;
use sfd_core::{
    Asset, AssetList, AssetOwner, AssetPatch, Character, CharacterList, CharacterPatch, Episode, EpisodeList,
    EpisodePatch, Scene, SceneList, ScenePatch, Success,
};

use crate::api::{characters_path, enc, episodes_path, owner_path, scenes_path};
use crate::client::{Client, Versioned};
use crate::{Error, Result};

impl Client {
    /// The characters and the drama version (`GET …/characters`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let all = client.list_characters("my_drama").await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_characters(&self, drama_id: &str) -> Result<Versioned<Vec<Character>>> {
        let path = characters_path(drama_id);
        let v: Versioned<CharacterList> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(Versioned {
            value: v.value.characters,
            etag: v.etag,
        })
    }

    /// One character and the drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let one = client.get_character("my_drama", "char-ava").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_character(&self, drama_id: &str, id: &str) -> Result<Versioned<Character>> {
        let path = format!("{}/{}", characters_path(drama_id), enc(id));
        self.call::<_, ()>(Method::GET, &path, None, None).await
    }

    /// Creates a character; an empty id gets a slug (201). A taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let made = client.create_character("my_drama", &sfd_client::Character::new("", "Ava", "engineer"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_character(
        &self,
        drama_id: &str,
        character: &Character,
        if_match: Option<&str>,
    ) -> Result<Versioned<Character>> {
        let mut body = serde_json::to_value(character).map_err(|source| Error::Decode {
            source,
            body: String::new(),
        })?;
        if body["id"] == ""
            && let Some(m) = body.as_object_mut()
        {
            m.remove("id");
        }
        self.call(Method::POST, &characters_path(drama_id), Some(&body), if_match)
            .await
    }

    /// Updates a character; with `if_match`, only at that drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::CharacterPatch::default();
    /// client.update_character("my_drama", "char-ava", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_character(
        &self,
        drama_id: &str,
        id: &str,
        patch: &CharacterPatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Character>> {
        let path = format!("{}/{}", characters_path(drama_id), enc(id));
        self.call(Method::PATCH, &path, Some(patch), if_match).await
    }

    /// Deletes a character and every reference to it; returns the new drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_character("my_drama", "char-ava", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_character(&self, drama_id: &str, id: &str, if_match: Option<&str>) -> Result<Option<String>> {
        let path = format!("{}/{}", characters_path(drama_id), enc(id));
        Ok(self
            .call::<Success, ()>(Method::DELETE, &path, None, if_match)
            .await?
            .etag)
    }

    /// The episodes and the drama version (`GET …/episodes`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let all = client.list_episodes("my_drama").await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_episodes(&self, drama_id: &str) -> Result<Versioned<Vec<Episode>>> {
        let path = episodes_path(drama_id);
        let v: Versioned<EpisodeList> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(Versioned {
            value: v.value.episodes,
            etag: v.etag,
        })
    }

    /// One episode and the drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let one = client.get_episode("my_drama", "ep1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_episode(&self, drama_id: &str, id: &str) -> Result<Versioned<Episode>> {
        let path = format!("{}/{}", episodes_path(drama_id), enc(id));
        self.call::<_, ()>(Method::GET, &path, None, None).await
    }

    /// Creates a episode; an empty id gets a slug (201). A taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let made = client.create_episode("my_drama", &sfd_client::Episode::new("", "Pilot", "It begins"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_episode(
        &self,
        drama_id: &str,
        episode: &Episode,
        if_match: Option<&str>,
    ) -> Result<Versioned<Episode>> {
        let mut body = serde_json::to_value(episode).map_err(|source| Error::Decode {
            source,
            body: String::new(),
        })?;
        if body["id"] == ""
            && let Some(m) = body.as_object_mut()
        {
            m.remove("id");
        }
        self.call(Method::POST, &episodes_path(drama_id), Some(&body), if_match)
            .await
    }

    /// Updates a episode; with `if_match`, only at that drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::EpisodePatch::default();
    /// client.update_episode("my_drama", "ep1", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_episode(
        &self,
        drama_id: &str,
        id: &str,
        patch: &EpisodePatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Episode>> {
        let path = format!("{}/{}", episodes_path(drama_id), enc(id));
        self.call(Method::PATCH, &path, Some(patch), if_match).await
    }

    /// Deletes a episode and every reference to it; returns the new drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_episode("my_drama", "ep1", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_episode(&self, drama_id: &str, id: &str, if_match: Option<&str>) -> Result<Option<String>> {
        let path = format!("{}/{}", episodes_path(drama_id), enc(id));
        Ok(self
            .call::<Success, ()>(Method::DELETE, &path, None, if_match)
            .await?
            .etag)
    }

    /// The scenes and the drama version (`GET …/scenes`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let all = client.list_scenes("my_drama", "ep1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_scenes(&self, drama_id: &str, episode_id: &str) -> Result<Versioned<Vec<Scene>>> {
        let path = scenes_path(drama_id, episode_id);
        let v: Versioned<SceneList> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(Versioned {
            value: v.value.scenes,
            etag: v.etag,
        })
    }

    /// One scene and the drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let one = client.get_scene("my_drama", "ep1", "ep1-sc1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_scene(&self, drama_id: &str, episode_id: &str, id: &str) -> Result<Versioned<Scene>> {
        let path = format!("{}/{}", scenes_path(drama_id, episode_id), enc(id));
        self.call::<_, ()>(Method::GET, &path, None, None).await
    }

    /// Creates a scene; an empty id gets a slug (201). A taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let made = client.create_scene("my_drama", "ep1", &sfd_client::Scene::new("", "Night, a garage"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        scene: &Scene,
        if_match: Option<&str>,
    ) -> Result<Versioned<Scene>> {
        let mut body = serde_json::to_value(scene).map_err(|source| Error::Decode {
            source,
            body: String::new(),
        })?;
        if body["id"] == ""
            && let Some(m) = body.as_object_mut()
        {
            m.remove("id");
        }
        self.call(Method::POST, &scenes_path(drama_id, episode_id), Some(&body), if_match)
            .await
    }

    /// Updates a scene; with `if_match`, only at that drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::ScenePatch::default();
    /// client.update_scene("my_drama", "ep1", "ep1-sc1", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        patch: &ScenePatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Scene>> {
        let path = format!("{}/{}", scenes_path(drama_id, episode_id), enc(id));
        self.call(Method::PATCH, &path, Some(patch), if_match).await
    }

    /// Deletes a scene and every reference to it; returns the new drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_scene("my_drama", "ep1", "ep1-sc1", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_scene(
        &self,
        drama_id: &str,
        episode_id: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>> {
        let path = format!("{}/{}", scenes_path(drama_id, episode_id), enc(id));
        Ok(self
            .call::<Success, ()>(Method::DELETE, &path, None, if_match)
            .await?
            .etag)
    }

    /// The assets and the drama version (`GET …/assets`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let all = client.list_assets("my_drama", &sfd_client::AssetOwner::scene("ep1", "ep1-sc1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_assets(&self, drama_id: &str, owner: &AssetOwner) -> Result<Versioned<Vec<Asset>>> {
        let path = owner_path(drama_id, owner);
        let v: Versioned<AssetList> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(Versioned {
            value: v.value.assets,
            etag: v.etag,
        })
    }

    /// One asset and the drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let one = client.get_asset("my_drama", &sfd_client::AssetOwner::scene("ep1", "ep1-sc1"), "ep1-sc1-img").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_asset(&self, drama_id: &str, owner: &AssetOwner, id: &str) -> Result<Versioned<Asset>> {
        let path = format!("{}/{}", owner_path(drama_id, owner), enc(id));
        self.call::<_, ()>(Method::GET, &path, None, None).await
    }

    /// Creates a asset; an empty id gets a slug (201). A taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let made = client.create_asset("my_drama", &sfd_client::AssetOwner::scene("ep1", "ep1-sc1"), &sfd_client::Asset::new("", sfd_client::AssetKind::Image, "a keyframe"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset: &Asset,
        if_match: Option<&str>,
    ) -> Result<Versioned<Asset>> {
        let mut body = serde_json::to_value(asset).map_err(|source| Error::Decode {
            source,
            body: String::new(),
        })?;
        if body["id"] == ""
            && let Some(m) = body.as_object_mut()
        {
            m.remove("id");
        }
        self.call(Method::POST, &owner_path(drama_id, owner), Some(&body), if_match)
            .await
    }

    /// Updates a asset; with `if_match`, only at that drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::AssetPatch::default();
    /// client.update_asset("my_drama", &sfd_client::AssetOwner::scene("ep1", "ep1-sc1"), "ep1-sc1-img", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        patch: &AssetPatch,
        if_match: Option<&str>,
    ) -> Result<Versioned<Asset>> {
        let path = format!("{}/{}", owner_path(drama_id, owner), enc(id));
        self.call(Method::PATCH, &path, Some(patch), if_match).await
    }

    /// Deletes a asset and every reference to it; returns the new drama version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_asset("my_drama", &sfd_client::AssetOwner::scene("ep1", "ep1-sc1"), "ep1-sc1-img", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>> {
        let path = format!("{}/{}", owner_path(drama_id, owner), enc(id));
        Ok(self
            .call::<Success, ()>(Method::DELETE, &path, None, if_match)
            .await?
            .etag)
    }
}
