//! The media routes: renders and their plans, the old server's aliases,
//! uploads of a user's own file, and downloads of stored media.

use futures::Stream;
use reqwest::Method;
use sfd_core::{
    Asset, AssetOwner, AssetRenderRequest, Character, ChooseCandidate, GenerationRequest, JobResponse, RenderPlan,
    RenderRequest,
};
use tokio::io::AsyncWrite;

use crate::api::{enc, member_path};
use crate::client::{Client, Versioned, api_error, copy_body, decode};
use crate::{Error, Result};

fn asset_path(drama_id: &str, owner: &AssetOwner, asset_id: &str, verb: &str) -> String {
    format!("{}/{verb}", member_path::<Asset>(drama_id, owner, asset_id))
}

fn voice_sample_path(drama_id: &str, character_id: &str) -> String {
    format!(
        "/dramas/{}/characters/{}/voice_sample",
        enc(drama_id),
        enc(character_id)
    )
}

impl Client {
    /// Queues the generation of `req` with `image` (PNG, JPEG or WebP) as the
    /// main character's own reference: `POST /dramas` as a multipart form
    /// with `premise`, `id`, … and `reference_image`; every shot of that
    /// character is then drawn from it.
    pub async fn generate_drama_with_reference(
        &self,
        req: &GenerationRequest,
        image: impl Into<reqwest::Body>,
    ) -> Result<JobResponse> {
        let mut form = reqwest::multipart::Form::new().text("premise", req.premise.clone());
        let texts = [
            ("id", req.id.clone()),
            ("model", req.model.clone()),
            ("episodes", req.episodes.map(|n| n.to_string())),
            ("scenes_per_episode", req.scenes_per_episode.map(|n| n.to_string())),
        ];
        for (name, value) in texts {
            if let Some(v) = value {
                form = form.text(name, v);
            }
        }
        let part = reqwest::multipart::Part::stream(image).file_name("reference");
        let resp = self
            .request(Method::POST, "/dramas")
            .multipart(form.part("reference_image", part))
            .send()
            .await
            .map_err(Error::from_send)?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(decode(resp).await?.value)
    }

    /// Queues a `render_drama` job for what `request` selects (everything
    /// missing or stale for [`RenderRequest::all`]), in `depends_on` order.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let job = client.render("my_drama", &sfd_client::RenderRequest::all()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn render(&self, drama_id: &str, request: &RenderRequest) -> Result<JobResponse> {
        let request = RenderRequest {
            dry_run: false,
            ..request.clone()
        };
        let path = format!("/dramas/{}/render", enc(drama_id));
        Ok(self.call(Method::POST, &path, Some(&request), None).await?.value)
    }

    /// What rendering `request` would do and cost; nothing is called or written.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let plan = client.render_plan("my_drama", &sfd_client::RenderRequest::all()).await?;
    /// println!("{} assets, ${:.2}", plan.to_render().count(), plan.estimated_cost_usd);
    /// # Ok(()) }
    /// ```
    pub async fn render_plan(&self, drama_id: &str, request: &RenderRequest) -> Result<RenderPlan> {
        let request = RenderRequest {
            dry_run: true,
            ..request.clone()
        };
        let path = format!("/dramas/{}/render", enc(drama_id));
        Ok(self.call(Method::POST, &path, Some(&request), None).await?.value)
    }

    /// Queues the render of one asset (and first what it needs that was
    /// never rendered); `force` renders it even when up to date.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let owner = sfd_client::AssetOwner::scene("ep1", "ep1-sc1");
    /// let job = client.render_asset("my_drama", &owner, "ep1-sc1-img", false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn render_asset(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        force: bool,
    ) -> Result<JobResponse> {
        let path = asset_path(drama_id, owner, asset_id, "render");
        let body = AssetRenderRequest { force };
        Ok(self.call(Method::POST, &path, Some(&body), None).await?.value)
    }

    /// Keeps another best-of-N candidate of an image (a `key` from its
    /// `metadata.render.candidates`, see [`crate::Candidates::of`]); what
    /// takes the image as an input becomes stale.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let owner = sfd_client::AssetOwner::scene("ep1", "ep1-sc1");
    /// let asset = client.choose_candidate("my_drama", &owner, "ep1-sc1-img", "media/my_drama/ep1-sc1-img-ab12.png").await?;
    /// # Ok(()) }
    /// ```
    pub async fn choose_candidate(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        key: &str,
    ) -> Result<Versioned<Asset>> {
        let path = asset_path(drama_id, owner, asset_id, "choose");
        let body = ChooseCandidate { key: key.to_string() };
        self.call(Method::POST, &path, Some(&body), None).await
    }

    /// Stores `body` (`content_type`: image/png, image/jpeg, image/webp,
    /// video/mp4, audio/mpeg or audio/wav) as the asset's file, streamed.
    /// Not retried: a stream cannot be sent twice.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let owner = sfd_client::AssetOwner::Character("char-ava".into());
    /// let png = std::fs::read("ava.png").unwrap_or_default();
    /// let asset = client.upload_asset_content("my_drama", &owner, "char-ava-portrait", "image/png", png).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_asset_content(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<Versioned<Asset>> {
        let path = asset_path(drama_id, owner, asset_id, "content");
        self.put_file(&path, content_type, body).await
    }

    /// Stores `body` (`content_type`: audio/mpeg, audio/wav, audio/mp4,
    /// audio/ogg or audio/webm; up to 20 MiB) as the reference voice clip of
    /// character `character_id` (`PUT …/characters/{cid}/voice_sample`) and
    /// returns the character, its `metadata.voice_sample` set. Speech
    /// providers that clone voices (ElevenLabs, MiniMax) clone it once, and
    /// every line of the character speaks in that voice; its lines become
    /// stale. Not retried: a stream cannot be sent twice.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let clip = std::fs::read("ava.wav").unwrap_or_default();
    /// let ava = client.upload_voice_sample("my_drama", "char-ava", "audio/wav", clip).await?;
    /// println!("{:?}", ava.value.metadata);
    /// # Ok(()) }
    /// ```
    pub async fn upload_voice_sample(
        &self,
        drama_id: &str,
        character_id: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<Versioned<Character>> {
        let path = voice_sample_path(drama_id, character_id);
        self.put_file(&path, content_type, body).await
    }

    /// Removes character `character_id`'s reference voice clip and the voice
    /// cloned from it (`DELETE …/characters/{cid}/voice_sample`): its lines
    /// speak in its `metadata.voice` again.
    pub async fn remove_voice_sample(&self, drama_id: &str, character_id: &str) -> Result<Versioned<Character>> {
        let path = voice_sample_path(drama_id, character_id);
        self.call::<Character, ()>(Method::DELETE, &path, None, None).await
    }

    /// [`Client::upload_asset_content`] from a stream of byte chunks.
    pub async fn upload_asset_stream<S>(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        content_type: &str,
        chunks: S,
    ) -> Result<Versioned<Asset>>
    where
        S: Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    {
        let body = reqwest::Body::wrap_stream(chunks);
        self.upload_asset_content(drama_id, owner, asset_id, content_type, body)
            .await
    }

    /// [`Client::upload_asset_content`] from a file, streamed from disk.
    pub async fn upload_asset_file(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        content_type: &str,
        file: impl AsRef<std::path::Path>,
    ) -> Result<Versioned<Asset>> {
        let file = tokio::fs::File::open(file.as_ref()).await.map_err(Error::Io)?;
        self.upload_asset_content(drama_id, owner, asset_id, content_type, file)
            .await
    }

    /// Writes a stored media file to `out` and returns its size. `url` is an
    /// asset's `url`: `/media/…` on this server (or a key `media/…`), or a
    /// public bucket URL, fetched without the API key.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client, url: &str) -> sfd_client::Result<()> {
    /// let mut file = tokio::fs::File::create("portrait.png").await?;
    /// let bytes = client.download_media(url, &mut file).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_media<W: AsyncWrite + Unpin>(&self, url: &str, out: &mut W) -> Result<u64> {
        let resp = if url.starts_with("http://") || url.starts_with("https://") {
            // Another host: the API key stays here.
            self.http.get(url).send().await.map_err(Error::from_send)?
        } else {
            let path = match url.strip_prefix('/') {
                Some(p) if p.starts_with("media/") => format!("/{p}"),
                _ => format!("/media/{}", url.trim_start_matches('/')),
            };
            self.send::<()>(Method::GET, &path, &[], None, None).await?
        };
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        copy_body(resp, out).await
    }

    /// The old server's `POST /dramas/{id}/generate`: renders the whole drama.
    pub async fn generate_media(&self, drama_id: &str) -> Result<JobResponse> {
        let path = format!("/dramas/{}/generate", enc(drama_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }

    /// The old server's `POST …/episodes/{eid}/generate`: renders one episode.
    pub async fn generate_episode_media(&self, drama_id: &str, episode_id: &str) -> Result<JobResponse> {
        let path = format!("/dramas/{}/episodes/{}/generate", enc(drama_id), enc(episode_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }

    /// The old server's `POST …/characters/{cid}/generate`: renders the portrait.
    pub async fn generate_portrait(&self, drama_id: &str, character_id: &str) -> Result<JobResponse> {
        let path = format!("/dramas/{}/characters/{}/generate", enc(drama_id), enc(character_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }

    /// Queues a character's audition clip (`POST …/audition`).
    pub async fn start_audition(&self, drama_id: &str, character_id: &str) -> Result<JobResponse> {
        let path = format!("/dramas/{}/characters/{}/audition", enc(drama_id), enc(character_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }

    /// The audition asset once rendered (`GET …/audition`; not found until then).
    pub async fn audition(&self, drama_id: &str, character_id: &str) -> Result<Asset> {
        let path = format!("/dramas/{}/characters/{}/audition", enc(drama_id), enc(character_id));
        Ok(self.call::<_, ()>(Method::GET, &path, None, None).await?.value)
    }

    /// Queues the drama's cover (`POST …/cover_photo`).
    pub async fn start_cover(&self, drama_id: &str) -> Result<JobResponse> {
        let path = format!("/dramas/{}/cover_photo", enc(drama_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }

    /// The cover's URL once rendered (`GET …/cover_photo`; not found until then).
    pub async fn cover_photo(&self, drama_id: &str) -> Result<String> {
        let path = format!("/dramas/{}/cover_photo", enc(drama_id));
        let v: Versioned<serde_json::Value> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        v.value["url"].as_str().map(str::to_string).ok_or_else(|| Error::Api {
            status: 200,
            error: "bad_answer".into(),
            message: "the cover answer has no url".into(),
        })
    }
}

impl Client {
    /// `PUT path` with `body` as a file of `content_type`, decoding the
    /// answer. Not retried: a stream cannot be sent twice.
    async fn put_file<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<Versioned<T>> {
        let resp = self
            .request(Method::PUT, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .map_err(Error::from_send)?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        decode(resp).await
    }
}
