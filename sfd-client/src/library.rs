//! The asset library (`/asset-library/…`): a project's reusable images,
//! videos and texts, through [`Client::library`].

use bytes::Bytes;
use reqwest::Method;
use sfd_core::{
    DEFAULT_LIBRARY_USER, LibraryAsset, LibraryDeleted, LibraryListing, LibraryTag, LibraryType, LibraryUploaded,
    Object,
};

use crate::api::enc;
use crate::client::{Client, api_error, decode};
use crate::{Error, Result};

/// One user's project in the asset library; made by [`Client::library`].
#[derive(Debug, Clone)]
pub struct Library<'a> {
    client: &'a Client,
    user_id: String,
    project_name: String,
}

impl Client {
    /// The library of project `project_name` (of user `10000`, the old
    /// server's default; see [`Library::for_user`]).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let lib = client.library("detective_drama");
    /// let png = std::fs::read("hero.png").unwrap_or_default();
    /// let up = lib.upload(sfd_client::LibraryType::Image, sfd_client::LibraryTag::Character, "hero.png", png, None).await?;
    /// println!("use it in a drama as library:{}", up.asset_id);
    /// # Ok(()) }
    /// ```
    pub fn library(&self, project_name: &str) -> Library<'_> {
        Library {
            client: self,
            user_id: DEFAULT_LIBRARY_USER.to_string(),
            project_name: project_name.to_string(),
        }
    }
}

impl Library<'_> {
    /// The same project of another user.
    pub fn for_user(mut self, user_id: &str) -> Self {
        self.user_id = user_id.to_string();
        self
    }

    fn scope(&self) -> Vec<(&'static str, String)> {
        vec![
            ("user_id", self.user_id.clone()),
            ("project_name", self.project_name.clone()),
        ]
    }

    fn of(&self, asset_type: LibraryType) -> Vec<(&'static str, String)> {
        let mut q = self.scope();
        q.push(("asset_type", asset_type.to_string()));
        q
    }

    /// The project's assets, only of `asset_type` and `tag` when given.
    pub async fn list(&self, asset_type: Option<LibraryType>, tag: Option<LibraryTag>) -> Result<LibraryListing> {
        let mut q = self.scope();
        q.extend(asset_type.map(|t| ("asset_type", t.to_string())));
        q.extend(tag.map(|t| ("tag", t.to_string())));
        let resp = self
            .client
            .send::<()>(Method::GET, "/asset-library/list", &q, None, None)
            .await?;
        Ok(decode(resp).await?.value)
    }

    /// Uploads a file (sniffed against `asset_type` by the server); the
    /// record gets `metadata`'s fields too. Not retried.
    pub async fn upload(
        &self,
        asset_type: LibraryType,
        tag: LibraryTag,
        filename: &str,
        bytes: impl Into<Bytes>,
        metadata: Option<&Object>,
    ) -> Result<LibraryUploaded> {
        let bytes: Bytes = bytes.into();
        let part = reqwest::multipart::Part::stream(bytes).file_name(filename.to_string());
        let mut form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("user_id", self.user_id.clone())
            .text("project_name", self.project_name.clone())
            .text("asset_type", asset_type.to_string())
            .text("tag", tag.to_string());
        if let Some(m) = metadata {
            let json = serde_json::to_string(m).map_err(|source| Error::Decode {
                source,
                body: String::new(),
            })?;
            form = form.text("metadata", json);
        }
        let resp = self
            .client
            .request(Method::POST, "/asset-library/upload")
            .multipart(form)
            .send()
            .await
            .map_err(Error::from_send)?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(decode(resp).await?.value)
    }

    /// An asset's record.
    pub async fn get(&self, asset_type: LibraryType, asset_id: &str) -> Result<LibraryAsset> {
        let path = format!("/asset-library/{}/metadata", enc(asset_id));
        let resp = self
            .client
            .send::<()>(Method::GET, &path, &self.of(asset_type), None, None)
            .await?;
        Ok(decode(resp).await?.value)
    }

    /// An asset's file.
    pub async fn file(&self, asset_type: LibraryType, asset_id: &str) -> Result<Bytes> {
        let path = format!("/asset-library/{}", enc(asset_id));
        let resp = self
            .client
            .send::<()>(Method::GET, &path, &self.of(asset_type), None, None)
            .await?;
        Ok(resp.bytes().await?)
    }

    /// Deletes an asset (its file and record).
    pub async fn delete(&self, asset_type: LibraryType, asset_id: &str) -> Result<()> {
        let path = format!("/asset-library/{}", enc(asset_id));
        let resp = self
            .client
            .send::<()>(Method::DELETE, &path, &self.of(asset_type), None, None)
            .await?;
        let _: LibraryDeleted = decode(resp).await?.value;
        Ok(())
    }
}
